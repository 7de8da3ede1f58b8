//! A FLAC encoder (RFC 9639) for 16- and 24-bit output: fixed 4096-sample blocks, the
//! stereo decorrelation that costs least per block (left/right, left/side, side/right or
//! mid/side), per channel the cheapest of a constant, the fixed polynomial predictors of order
//! 0 to 4 and verbatim samples, and partitioned Rice coding with 4- or 5-bit parameters (and
//! escapes for partitions that code better raw). STREAMINFO carries the MD5 of the samples.
//!
//! Why our own: the `flacenc` crate (0.5) limits Rice parameters to 14 and does not fall back
//! to verbatim subframes, so loud 24-bit noise-like material came out ten times larger than
//! raw PCM, with frames some decoders refused. Fixed predictors give up a few percent of
//! compression against LPC, which matters little for masters and keeps this short.

use crate::md5::Md5;

/// Samples per block (all but the last block of a stream).
pub const BLOCK: usize = 4096;

/// Largest partition order tried (blocks split into up to 2^8 partitions).
const MAX_PARTITION_ORDER: u32 = 8;

/// Writes bits most-significant first.
struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl BitWriter {
    fn new() -> Self {
        Self {
            bytes: Vec::new(),
            acc: 0,
            bits: 0,
        }
    }

    /// The low `n` (≤ 32) bits of `value`.
    fn put(&mut self, value: u64, n: u32) {
        if n == 0 {
            return;
        }
        self.acc = (self.acc << n) | (value & ((1u64 << n) - 1));
        self.bits += n;
        while self.bits >= 8 {
            self.bits -= 8;
            self.bytes.push((self.acc >> self.bits) as u8);
        }
    }

    /// `value` as an `n`-bit two's-complement number.
    fn put_signed(&mut self, value: i64, n: u32) {
        self.put(value as u64, n);
    }

    /// `q` zeros and a one.
    fn put_unary(&mut self, mut q: u64) {
        while q >= 32 {
            self.put(0, 32);
            q -= 32;
        }
        self.put(1, q as u32 + 1);
    }

    /// Pads with zeros to a byte boundary.
    fn align(&mut self) {
        if self.bits > 0 {
            self.put(0, 8 - self.bits);
        }
    }
}

fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The UTF-8-like coding of frame numbers (RFC 9639 §9.1.5).
fn coded_number(n: u64) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    // Continuation bytes carry 6 bits each; the first byte holds the rest after its length
    // marker of `len` ones and a zero.
    let mut len = 2;
    while n >= 1u64 << (5 * len + 1) {
        len += 1;
    }
    let mut out = vec![0u8; len];
    let mut rest = n;
    for byte in out.iter_mut().skip(1).rev() {
        *byte = 0x80 | (rest & 0x3f) as u8;
        rest >>= 6;
    }
    out[0] = (0xffu16 << (8 - len)) as u8 | rest as u8;
    out
}

/// Residual of the fixed predictor of `order` (0–4) over `x` from sample `order` on, or `None`
/// if a residual does not fit 32 bits (possible for 25-bit side channels at order 4).
fn fixed_residual(x: &[i64], order: usize) -> Option<Vec<i64>> {
    let mut r = Vec::with_capacity(x.len().saturating_sub(order));
    for i in order..x.len() {
        let e = match order {
            0 => x[i],
            1 => x[i] - x[i - 1],
            2 => x[i] - 2 * x[i - 1] + x[i - 2],
            3 => x[i] - 3 * x[i - 1] + 3 * x[i - 2] - x[i - 3],
            _ => x[i] - 4 * x[i - 1] + 6 * x[i - 2] - 4 * x[i - 3] + x[i - 4],
        };
        if e < i64::from(i32::MIN) || e > i64::from(i32::MAX) {
            return None;
        }
        r.push(e);
    }
    Some(r)
}

fn zigzag(e: i64) -> u64 {
    ((e << 1) ^ (e >> 63)) as u64
}

/// How one partition is coded.
#[derive(Clone, Copy)]
enum PartitionCode {
    /// Rice parameter.
    Rice(u32),
    /// Escape: raw signed samples of this many bits.
    Raw(u32),
}

/// The cheapest coding of the residual `r` (first partition shortened by `warm_up`): partition
/// order, each partition's code, whether 5-bit parameters are needed, and the cost in bits.
struct ResidualPlan {
    order: u32,
    codes: Vec<PartitionCode>,
    rice2: bool,
    bits: u64,
}

fn plan_residual(r: &[i64], block: usize, warm_up: usize) -> ResidualPlan {
    let u: Vec<u64> = r.iter().map(|&e| zigzag(e)).collect();
    let mut best: Option<ResidualPlan> = None;
    for order in 0..=MAX_PARTITION_ORDER {
        let parts = 1usize << order;
        if !block.is_multiple_of(parts) || block / parts <= warm_up {
            break;
        }
        let size = block / parts;
        let mut codes = Vec::with_capacity(parts);
        let mut bits = 2 + 4;
        let mut rice2 = false;
        let mut start = 0;
        for p in 0..parts {
            let len = if p == 0 { size - warm_up } else { size };
            let part = &u[start..start + len];
            start += len;
            let (sum, largest) = part
                .iter()
                .fold((0u64, 0u64), |(s, m), &v| (s + v, m.max(v)));
            let (code, cost) = cheapest_code(len as u64, sum, largest);
            if let PartitionCode::Rice(k) = code {
                rice2 |= k > 14;
            }
            codes.push(code);
            bits += cost;
        }
        // Parameter fields: 4 bits each, 5 with RICE2.
        bits += parts as u64 * if rice2 { 5 } else { 4 };
        if best.as_ref().is_none_or(|b| bits < b.bits) {
            best = Some(ResidualPlan {
                order,
                codes,
                rice2,
                bits,
            });
        }
    }
    best.unwrap_or(ResidualPlan {
        order: 0,
        codes: vec![PartitionCode::Raw(32)],
        rice2: false,
        bits: u64::MAX,
    })
}

/// The code of a partition of `n` zigzagged residuals summing to `sum` with largest value
/// `largest`, and its cost in bits without the parameter field. Rice costs are estimated as
/// n·(k + 1) + sum / 2^k (each value's quotient rounds down, so this errs by less than n bits,
/// alike for every k); raw escape coding wins when that is smaller.
fn cheapest_code(n: u64, sum: u64, largest: u64) -> (PartitionCode, u64) {
    // The optimum lies near log2 of the mean.
    let mean = sum / n.max(1);
    let guess = 64 - mean.leading_zeros();
    let mut best = (PartitionCode::Rice(0), u64::MAX);
    for k in guess.saturating_sub(2)..=(guess + 1).min(30) {
        let cost = n * u64::from(k + 1) + (sum >> k);
        if cost < best.1 {
            best = (PartitionCode::Rice(k), cost);
        }
    }
    // Raw: enough bits for every value as a signed number, plus the 5-bit size.
    let raw_bits = (64 - largest.leading_zeros()).max(1);
    let raw_cost = 5 + n * u64::from(raw_bits);
    if raw_bits <= 31 && raw_cost < best.1 {
        best = (PartitionCode::Raw(raw_bits), raw_cost);
    }
    best
}

/// A channel's subframe as chosen: kind and cost.
enum Subframe {
    Constant(i64),
    Verbatim,
    Fixed {
        order: usize,
        residual: Vec<i64>,
        plan: ResidualPlan,
    },
}

/// The cheapest subframe for `x` at `bps` bits and its cost in bits. The fixed predictor is
/// the order with the smallest residual magnitude (what Rice coding pays for); only that one
/// is planned in detail.
fn choose_subframe(x: &[i64], bps: u32) -> (Subframe, u64) {
    let header = 8;
    if x.iter().all(|&v| v == x[0]) {
        return (Subframe::Constant(x[0]), header + u64::from(bps));
    }
    let verbatim = header + x.len() as u64 * u64::from(bps);
    let mut best = (Subframe::Verbatim, verbatim);
    let predictor = (0..=4usize)
        .filter(|&order| x.len() > order)
        .filter_map(|order| {
            let residual = fixed_residual(x, order)?;
            let magnitude: u64 = residual.iter().map(|&e| e.unsigned_abs()).sum();
            Some((magnitude, order, residual))
        })
        .min_by_key(|(magnitude, order, _)| (*magnitude, *order));
    if let Some((_, order, residual)) = predictor {
        let plan = plan_residual(&residual, x.len(), order);
        let cost = header
            .saturating_add(order as u64 * u64::from(bps))
            .saturating_add(plan.bits);
        if cost < best.1 {
            best = (
                Subframe::Fixed {
                    order,
                    residual,
                    plan,
                },
                cost,
            );
        }
    }
    best
}

fn write_subframe(w: &mut BitWriter, x: &[i64], bps: u32, sub: &Subframe) {
    match sub {
        Subframe::Constant(v) => {
            w.put(0b0000_0000, 8);
            w.put_signed(*v, bps);
        }
        Subframe::Verbatim => {
            w.put(0b0000_0010, 8);
            for &v in x {
                w.put_signed(v, bps);
            }
        }
        Subframe::Fixed {
            order,
            residual,
            plan,
        } => {
            w.put(0b0001_0000 | ((*order as u64) << 1), 8);
            for &v in &x[..*order] {
                w.put_signed(v, bps);
            }
            w.put(u64::from(plan.rice2), 2);
            w.put(u64::from(plan.order), 4);
            let param_bits = if plan.rice2 { 5 } else { 4 };
            let escape = (1u64 << param_bits) - 1;
            let size = x.len() >> plan.order;
            let mut start = 0;
            for (p, code) in plan.codes.iter().enumerate() {
                let len = if p == 0 { size - order } else { size };
                let part = &residual[start..start + len];
                start += len;
                match *code {
                    PartitionCode::Rice(k) => {
                        w.put(u64::from(k), param_bits);
                        for &e in part {
                            let u = zigzag(e);
                            w.put_unary(u >> k);
                            w.put(u, k);
                        }
                    }
                    PartitionCode::Raw(bits) => {
                        w.put(escape, param_bits);
                        w.put(u64::from(bits), 5);
                        for &e in part {
                            w.put_signed(e, bits);
                        }
                    }
                }
            }
        }
    }
}

/// Sample-rate code of the frame header and the bytes that follow it (RFC 9639 §9.1.2).
fn rate_code(rate: u32) -> (u64, Vec<u8>) {
    let standard = [
        (88_200, 1),
        (176_400, 2),
        (192_000, 3),
        (8_000, 4),
        (16_000, 5),
        (22_050, 6),
        (24_000, 7),
        (32_000, 8),
        (44_100, 9),
        (48_000, 10),
        (96_000, 11),
    ];
    if let Some(&(_, code)) = standard.iter().find(|(r, _)| *r == rate) {
        (code, Vec::new())
    } else if rate.is_multiple_of(1000) && rate / 1000 <= 255 {
        (12, vec![(rate / 1000) as u8])
    } else if rate <= 65_535 {
        (13, (rate as u16).to_be_bytes().to_vec())
    } else if rate.is_multiple_of(10) && rate / 10 <= 65_535 {
        (14, ((rate / 10) as u16).to_be_bytes().to_vec())
    } else {
        // "Take it from STREAMINFO".
        (0, Vec::new())
    }
}

fn encode_frame(channels: &[&[i32]], bits: u32, rate: u32, number: u64) -> Vec<u8> {
    let n = channels[0].len();
    let mut w = BitWriter::new();
    w.put(0xFFF8, 16);
    let (size_code, size_bytes) = if n == BLOCK {
        (12u64, Vec::new())
    } else if n <= 256 {
        (6, vec![(n - 1) as u8])
    } else {
        (7, ((n - 1) as u16).to_be_bytes().to_vec())
    };
    let (rate_code, rate_bytes) = rate_code(rate);
    w.put(size_code, 4);
    w.put(rate_code, 4);

    let wide: Vec<Vec<i64>> = channels
        .iter()
        .map(|c| c.iter().map(|&v| i64::from(v)).collect())
        .collect();
    // Stereo: pick the decorrelation whose two subframes cost least.
    let (assignment, subframes): (u64, Vec<(Vec<i64>, u32, Subframe)>) = if wide.len() == 2 {
        let (l, r) = (&wide[0], &wide[1]);
        let side: Vec<i64> = l.iter().zip(r).map(|(a, b)| a - b).collect();
        let mid: Vec<i64> = l.iter().zip(r).map(|(a, b)| (a + b) >> 1).collect();
        let left = choose_subframe(l, bits);
        let right = choose_subframe(r, bits);
        let side_sub = choose_subframe(&side, bits + 1);
        let mid_sub = choose_subframe(&mid, bits);
        let costs = [
            left.1 + right.1,
            left.1 + side_sub.1,
            side_sub.1 + right.1,
            mid_sub.1 + side_sub.1,
        ];
        let best = (0..4).min_by_key(|&i| costs[i]).unwrap_or(0);
        match best {
            0 => (
                1,
                vec![(l.clone(), bits, left.0), (r.clone(), bits, right.0)],
            ),
            1 => (
                8,
                vec![(l.clone(), bits, left.0), (side, bits + 1, side_sub.0)],
            ),
            2 => (
                9,
                vec![(side, bits + 1, side_sub.0), (r.clone(), bits, right.0)],
            ),
            _ => (
                10,
                vec![(mid, bits, mid_sub.0), (side, bits + 1, side_sub.0)],
            ),
        }
    } else {
        (
            wide.len() as u64 - 1,
            wide.into_iter()
                .map(|x| {
                    let sub = choose_subframe(&x, bits).0;
                    (x, bits, sub)
                })
                .collect(),
        )
    };
    w.put(assignment, 4);
    w.put(if bits == 16 { 0b100 } else { 0b110 }, 3);
    w.put(0, 1);
    for b in coded_number(number) {
        w.put(u64::from(b), 8);
    }
    for b in size_bytes.iter().chain(&rate_bytes) {
        w.put(u64::from(*b), 8);
    }
    let crc = crc8(&w.bytes);
    w.put(u64::from(crc), 8);
    for (x, bps, sub) in &subframes {
        write_subframe(&mut w, x, *bps, sub);
    }
    w.align();
    let crc = crc16(&w.bytes);
    w.put(u64::from(crc), 16);
    w.bytes
}

/// A complete FLAC stream of `channels` (1–8, equal lengths, integer codes of `bits` = 16 or
/// 24) at `rate` Hz, with an optional VORBIS_COMMENT block body.
pub fn encode(
    channels: &[Vec<i32>],
    bits: u32,
    rate: u32,
    vorbis_comment: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    if !(1..=8).contains(&channels.len()) {
        return Err(format!(
            "FLAC holds 1 to 8 channels, not {}",
            channels.len()
        ));
    }
    if bits != 16 && bits != 24 {
        return Err(format!("FLAC output is 16- or 24-bit here, not {bits}-bit"));
    }
    if rate == 0 || rate >= 1 << 20 {
        return Err(format!("FLAC cannot store a sample rate of {rate} Hz"));
    }
    let frames = channels[0].len();
    if channels.iter().any(|c| c.len() != frames) {
        return Err("channels differ in length".into());
    }
    if frames as u64 >= 1 << 36 {
        return Err("too long for FLAC".into());
    }
    let limit = 1i32 << (bits - 1);
    if channels.iter().flatten().any(|&v| v < -limit || v >= limit) {
        return Err(format!("samples exceed the {bits}-bit range"));
    }

    let mut md5 = Md5::new();
    let bytes_per_sample = (bits / 8) as usize;
    let mut interleaved = Vec::with_capacity(BLOCK * channels.len() * bytes_per_sample);
    let mut audio = Vec::new();
    let (mut min_frame, mut max_frame) = (u32::MAX, 0u32);
    for (number, start) in (0..frames).step_by(BLOCK).enumerate() {
        let end = (start + BLOCK).min(frames);
        interleaved.clear();
        for i in start..end {
            for c in channels {
                interleaved.extend_from_slice(&c[i].to_le_bytes()[..bytes_per_sample]);
            }
        }
        md5.update(&interleaved);
        let block: Vec<&[i32]> = channels.iter().map(|c| &c[start..end]).collect();
        let frame = encode_frame(&block, bits, rate, number as u64);
        min_frame = min_frame.min(frame.len() as u32);
        max_frame = max_frame.max(frame.len() as u32);
        audio.extend_from_slice(&frame);
    }
    if frames == 0 {
        min_frame = 0;
    }

    let mut out = b"fLaC".to_vec();
    let mut info = BitWriter::new();
    // RFC 9639 §8.2: with a fixed block size, both bounds are that size (the last block may
    // be shorter).
    let block = if frames == 0 {
        16
    } else {
        BLOCK.min(frames.max(16))
    };
    info.put(block as u64, 16);
    info.put(block as u64, 16);
    info.put(u64::from(min_frame), 24);
    info.put(u64::from(max_frame), 24);
    info.put(u64::from(rate), 20);
    info.put(channels.len() as u64 - 1, 3);
    info.put(u64::from(bits - 1), 5);
    info.put(frames as u64, 36);
    let mut streaminfo = info.bytes;
    streaminfo.extend_from_slice(&md5.finish());
    let blocks: Vec<(u8, Vec<u8>)> = std::iter::once((0u8, streaminfo))
        .chain(vorbis_comment.map(|c| (4u8, c.to_vec())))
        .collect();
    for (i, (kind, body)) in blocks.iter().enumerate() {
        let last = if i + 1 == blocks.len() { 0x80 } else { 0 };
        if body.len() >= 1 << 24 {
            return Err("metadata block too large".into());
        }
        out.push(last | kind);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&audio);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn round_trip(channels: &[Vec<i32>], bits: u32, rate: u32) -> usize {
        let bytes = encode(channels, bits, rate, Some(b"\x05\0\0\0glass\0\0\0\0")).expect("encode");
        let dir = std::env::temp_dir().join(format!("glass-flac-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(format!("t{}-{bits}-{rate}.flac", channels.len()));
        std::fs::write(&path, &bytes).expect("write");
        // symphonia decodes it, checking every frame's CRC and the MD5 signature.
        let decoded = crate::decode::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_file(&path);
        assert_eq!(decoded.clip.sample_rate, rate);
        assert_eq!(decoded.source.int_bits, Some(bits));
        let scale = 1.0 / f64::from(1u32 << (bits - 1));
        let expected: Vec<Vec<f32>> = channels
            .iter()
            .map(|c| c.iter().map(|&v| (f64::from(v) * scale) as f32).collect())
            .collect();
        assert_eq!(decoded.clip.channels, expected, "{bits}-bit at {rate} Hz");
        bytes.len()
    }

    #[test]
    fn frame_numbers_use_the_utf8_like_coding() {
        assert_eq!(coded_number(0x7f), [0x7f]);
        assert_eq!(coded_number(0x80), [0xc2, 0x80]);
        assert_eq!(coded_number(0x7ff), [0xdf, 0xbf]);
        assert_eq!(coded_number(0x800), [0xe0, 0xa0, 0x80]);
        assert_eq!(coded_number(0x10000), [0xf0, 0x90, 0x80, 0x80]);
    }

    #[test]
    fn crcs_match_their_check_values() {
        // Check values of CRC-8 (poly 0x07) and CRC-16/UMTS (poly 0x8005) for "123456789".
        assert_eq!(crc8(b"123456789"), 0xf4);
        assert_eq!(crc16(b"123456789"), 0xfee8);
    }

    #[test]
    fn every_kind_of_signal_decodes_exactly() {
        let mut rng = Rng::new(7);
        let n = 3 * BLOCK + 1234;
        let sine = |amp: f64, f: f64| -> Vec<i32> {
            (0..n)
                .map(|i| (amp * (i as f64 * f).sin()).round() as i32)
                .collect()
        };
        // Tonal stereo, 16-bit: correlated channels (mid/side pays), compresses well.
        let a = sine(20_000.0, 0.01);
        let b: Vec<i32> = a.iter().map(|v| v / 2 + 100).collect();
        let size = round_trip(&[a.clone(), b], 16, 44_100);
        assert!(
            size < n * 2 * 2 / 3,
            "tonal 16-bit: {size} bytes of {} raw",
            n * 4
        );
        // Full-scale white noise, 24-bit: incompressible, must not grow beyond raw by much.
        let noise = |bits: u32, rng: &mut Rng| -> Vec<i32> {
            let top = f64::from(1u32 << (bits - 1)) - 1.0;
            (0..n)
                .map(|_| (rng.uniform(-1.0, 1.0) * top) as i32)
                .collect()
        };
        let l = noise(24, &mut rng);
        let r = noise(24, &mut rng);
        let size = round_trip(&[l, r], 24, 48_000);
        assert!(
            size < n * 2 * 3 * 102 / 100,
            "noise 24-bit: {size} bytes of {} raw",
            n * 6
        );
        // Extremes: full-scale square, silence (constant subframes), mono, odd rates, 6
        // channels, tiny and empty streams.
        let square: Vec<i32> = (0..n)
            .map(|i| if (i / 50) % 2 == 0 { 32_767 } else { -32_768 })
            .collect();
        round_trip(&[square.clone(), vec![0; n]], 16, 22_050);
        round_trip(&[sine(8_000_000.0, 0.2)], 24, 11_025);
        round_trip(&[sine(1000.0, 0.3)], 16, 96_000);
        round_trip(&[sine(1000.0, 0.3)], 16, 50_000);
        let six: Vec<Vec<i32>> = (0..6).map(|c| sine(3000.0 * c as f64, 0.05)).collect();
        round_trip(&six, 24, 48_000);
        round_trip(&[vec![5, -5, 7], vec![1, 2, 3]], 16, 48_000);
        round_trip(&[vec![-8_388_608, 8_388_607]], 24, 192_000);
    }

    #[test]
    fn out_of_range_input_is_refused() {
        assert!(encode(&[vec![40_000]], 16, 48_000, None).is_err());
        assert!(encode(&[vec![0]], 20, 48_000, None).is_err());
        assert!(encode(&vec![vec![0]; 9], 16, 48_000, None).is_err());
    }
}
