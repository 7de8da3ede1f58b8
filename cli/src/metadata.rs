//! Track metadata (title, artist, album, track number) and its two on-disk forms: the RIFF
//! `LIST`/`INFO` chunk of WAV files and the Vorbis comment block of FLAC files.

/// What a player shows for a track. Empty fields are not written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Track title.
    pub title: Option<String>,
    /// Performing artist.
    pub artist: Option<String>,
    /// Album (RIFF calls it the product, `IPRD`).
    pub album: Option<String>,
    /// Position on the album, from 1.
    pub track_number: Option<u32>,
    /// Number of tracks on the album.
    pub track_total: Option<u32>,
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Tags {
    /// True if nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    /// The fields that are set, as (Vorbis comment name, RIFF INFO id, text).
    fn fields(&self) -> Vec<(&'static str, &'static [u8; 4], String)> {
        let mut fields = Vec::new();
        if let Some(v) = nonempty(&self.title) {
            fields.push(("TITLE", b"INAM", v.to_string()));
        }
        if let Some(v) = nonempty(&self.artist) {
            fields.push(("ARTIST", b"IART", v.to_string()));
        }
        if let Some(v) = nonempty(&self.album) {
            fields.push(("ALBUM", b"IPRD", v.to_string()));
        }
        if let Some(n) = self.track_number {
            fields.push(("TRACKNUMBER", b"ITRK", n.to_string()));
        }
        if let Some(n) = self.track_total {
            // `IFRM` ("from": the number of parts) is the INFO id readers take as the total.
            fields.push(("TRACKTOTAL", b"IFRM", n.to_string()));
        }
        fields
    }

    /// The complete RIFF `LIST` chunk (header included) of form `INFO`, or nothing if no field
    /// is set. Each sub-chunk holds NUL-terminated text (UTF-8; INFO predates Unicode, modern
    /// readers accept it) padded to an even length, as RIFF requires.
    pub fn riff_info_chunk(&self) -> Vec<u8> {
        let fields = self.fields();
        if fields.is_empty() {
            return Vec::new();
        }
        let mut body = b"INFO".to_vec();
        for (_, id, text) in fields {
            let mut data = text.replace('\0', " ").into_bytes();
            data.push(0);
            body.extend_from_slice(id);
            body.extend_from_slice(&(data.len() as u32).to_le_bytes());
            body.extend_from_slice(&data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut chunk = b"LIST".to_vec();
        chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
        chunk.extend_from_slice(&body);
        chunk
    }

    /// The body of a FLAC `VORBIS_COMMENT` metadata block (Vorbis I spec §5: little-endian
    /// lengths, `NAME=value` UTF-8 comments, no framing bit inside FLAC).
    pub fn vorbis_comment(&self, vendor: &str) -> Vec<u8> {
        let fields = self.fields();
        let mut out = Vec::new();
        out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        out.extend_from_slice(vendor.as_bytes());
        out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        for (name, _, text) in fields {
            let comment = format!("{name}={text}");
            out.extend_from_slice(&(comment.len() as u32).to_le_bytes());
            out.extend_from_slice(comment.as_bytes());
        }
        out
    }
}

/// Reads the `LIST`/`INFO` tags of a RIFF WAVE file, walking its chunk headers (the data is
/// skipped, not read). `None` if the file is not RIFF WAVE or has no INFO list.
pub fn read_riff_info(path: &std::path::Path) -> Option<Tags> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 12];
    file.read_exact(&mut header).ok()?;
    if &header[..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return None;
    }
    loop {
        let mut chunk = [0u8; 8];
        file.read_exact(&mut chunk).ok()?;
        let size = u64::from(u32::from_le_bytes(chunk[4..8].try_into().ok()?));
        let padded = size + size % 2;
        if &chunk[..4] == b"LIST" && (4..1 << 20).contains(&size) {
            let mut body = vec![0u8; size as usize];
            file.read_exact(&mut body).ok()?;
            if size % 2 == 1 {
                file.seek(SeekFrom::Current(1)).ok()?;
            }
            if &body[..4] == b"INFO" {
                return Some(parse_info(&body[4..]));
            }
        } else {
            file.seek(SeekFrom::Current(i64::try_from(padded).ok()?))
                .ok()?;
        }
    }
}

fn parse_info(mut body: &[u8]) -> Tags {
    let mut tags = Tags::default();
    while body.len() >= 8 {
        let id = &body[..4];
        let size = u32::from_le_bytes([body[4], body[5], body[6], body[7]]) as usize;
        let Some(data) = body.get(8..8 + size) else {
            break;
        };
        let text = String::from_utf8_lossy(data)
            .trim_end_matches('\0')
            .trim()
            .to_string();
        let number = || {
            text.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u32>().ok())
        };
        match id {
            b"INAM" => tags.title = Some(text.clone()),
            b"IART" => tags.artist = Some(text.clone()),
            b"IPRD" => tags.album = Some(text.clone()),
            b"ITRK" | b"IPRT" | b"TRCK" => tags.track_number = number(),
            b"IFRM" => tags.track_total = number(),
            _ => {}
        }
        body = &body[(8 + size + size % 2).min(body.len())..];
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Tags {
        Tags {
            title: Some("Intro".into()),
            artist: Some("Band".into()),
            album: None,
            track_number: Some(1),
            track_total: Some(12),
        }
    }

    #[test]
    fn riff_info_chunks_are_padded_and_sized() {
        let chunk = example().riff_info_chunk();
        assert_eq!(&chunk[..4], b"LIST");
        let size = u32::from_le_bytes(chunk[4..8].try_into().unwrap()) as usize;
        assert_eq!(size, chunk.len() - 8);
        assert_eq!(&chunk[8..12], b"INFO");
        // INAM "Intro\0" is 6 bytes (even), IART "Band\0" 5 bytes + 1 pad.
        assert_eq!(&chunk[12..16], b"INAM");
        assert_eq!(u32::from_le_bytes(chunk[16..20].try_into().unwrap()), 6);
        assert_eq!(&chunk[20..26], b"Intro\0");
        assert_eq!(&chunk[26..30], b"IART");
        assert_eq!(u32::from_le_bytes(chunk[30..34].try_into().unwrap()), 5);
        assert_eq!(&chunk[34..40], b"Band\0\0");
        assert_eq!(&chunk[40..44], b"ITRK");
        assert!(chunk.len().is_multiple_of(2));
        assert!(Tags::default().riff_info_chunk().is_empty());
    }

    #[test]
    fn riff_info_reads_back_what_was_written() {
        let dir = std::env::temp_dir().join(format!("glass-info-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("t.wav");
        // RIFF WAVE with a dummy fmt chunk, an odd-sized data chunk, then the INFO list.
        let mut bytes = b"RIFF\0\0\0\0WAVEfmt \x02\0\0\0abdata\x03\0\0\0xyz\0".to_vec();
        bytes.extend_from_slice(&example().riff_info_chunk());
        std::fs::write(&path, bytes).expect("write");
        let back = read_riff_info(&path).expect("INFO found");
        assert_eq!(back, example());
        std::fs::write(&path, b"fLaC").expect("write");
        assert_eq!(read_riff_info(&path), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn vorbis_comments_list_each_field() {
        let block = example().vorbis_comment("glass");
        assert_eq!(&block[..4], &5u32.to_le_bytes());
        assert_eq!(&block[4..9], b"glass");
        assert_eq!(&block[9..13], &4u32.to_le_bytes());
        let text = String::from_utf8_lossy(&block);
        for c in [
            "TITLE=Intro",
            "ARTIST=Band",
            "TRACKNUMBER=1",
            "TRACKTOTAL=12",
        ] {
            assert!(text.contains(c), "{c} missing");
        }
    }
}
