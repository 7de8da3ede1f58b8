//! A minimal VST3 host: enough of the VST 3 API to load a plugin binary
//! through its `GetPluginFactory` entry point, create the audio component,
//! process audio with parameter changes, move state through `IBStream`, and
//! read parameters and latency, as a DAW would. Used by the VST3 conformance
//! tests; everything here goes through the ABI, never the plugin's Rust types.
//!
//! Only single-component plugins (component and edit controller as one
//! object, as nice-plug builds them) and one stereo or mono main bus are
//! supported.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr;

use vst3::Steinberg::Linux::{
    FileDescriptor, IEventHandler, IEventHandlerTrait, IRunLoop, IRunLoopTrait, ITimerHandler,
    TimerInterval,
};
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusDirections_, IAudioProcessor, IAudioProcessorTrait,
    IComponent, IComponentHandler, IComponentHandlerTrait, IComponentTrait, IEditController,
    IEditControllerTrait, IHostApplication, IHostApplicationTrait, IParamValueQueue,
    IParamValueQueueTrait, IParameterChanges, IParameterChangesTrait, IUnitInfo, IUnitInfoTrait,
    MediaTypes_, ParamID, ParamValue, ParameterInfo, ProcessData, ProcessModes_, ProcessSetup,
    RestartFlags_, SpeakerArr, SpeakerArrangement, String128, SymbolicSampleSizes_, UnitInfo,
};
use vst3::Steinberg::{
    int32, int64, kInvalidArgument, kNotImplemented, kResultFalse, kResultOk, tresult, FUnknown,
    IBStream, IBStreamTrait, IBStream_, IPlugView, IPlugViewTrait, IPluginBaseTrait,
    IPluginFactory, IPluginFactoryTrait, PClassInfo, TUID,
};
use vst3::Steinberg::{IPlugFrame, IPlugFrameTrait, ViewRect};
use vst3::{Class, ComPtr, ComWrapper, Interface};

/// A VST3 class id (16 bytes).
pub type ClassId = TUID;

/// A VST3 failure, with the step that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vst3Error(pub String);

impl std::fmt::Display for Vst3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Vst3Error {}

fn check(result: tresult, step: &str) -> Result<(), Vst3Error> {
    if result == kResultOk {
        Ok(())
    } else {
        Err(Vst3Error(format!("{step} returned {result}")))
    }
}

fn c_text(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn utf16_text(chars: &String128) -> String {
    let end = chars.iter().position(|&c| c == 0).unwrap_or(chars.len());
    String::from_utf16_lossy(&chars[..end])
}

/// One class the factory offers.
#[derive(Debug, Clone)]
pub struct Vst3ClassInfo {
    /// Class id.
    pub cid: TUID,
    /// Category, e.g. "Audio Module Class".
    pub category: String,
    /// Display name.
    pub name: String,
}

/// A loaded VST3 binary and its factory. The library stays loaded for the
/// process (unloading while a plugin thread may still run is what crashes
/// hosts), but `ModuleExit` is called when this is dropped.
pub struct Vst3Library {
    path: PathBuf,
    library: &'static libloading::Library,
    /// Released by hand in `drop`, before `ModuleExit`.
    factory: std::mem::ManuallyDrop<ComPtr<IPluginFactory>>,
}

impl Vst3Library {
    /// Loads `path` (a `.so` exporting `GetPluginFactory`, e.g. the binary
    /// inside a `.vst3` bundle) and calls `ModuleEntry`.
    pub fn load(path: &Path) -> Result<Self, Vst3Error> {
        // SAFETY: loading a plugin binary runs its initialisers; that is what
        // loading a plugin means.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|e| Vst3Error(format!("cannot load {}: {e}", path.display())))?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: the VST 3 module API on Linux: bool ModuleEntry(void*) and
        // IPluginFactory* GetPluginFactory().
        unsafe {
            if let Ok(entry) =
                library.get::<unsafe extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry\0")
            {
                if !entry(ptr::null_mut()) {
                    return Err(Vst3Error("ModuleEntry returned false".into()));
                }
            }
            let get = library
                .get::<unsafe extern "C" fn() -> *mut IPluginFactory>(b"GetPluginFactory\0")
                .map_err(|e| Vst3Error(format!("no GetPluginFactory: {e}")))?;
            let factory = ComPtr::from_raw(get())
                .ok_or_else(|| Vst3Error("GetPluginFactory returned null".into()))?;
            Ok(Self {
                path: path.to_owned(),
                library,
                factory: std::mem::ManuallyDrop::new(factory),
            })
        }
    }

    /// The loaded file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every class the factory offers.
    pub fn classes(&self) -> Vec<Vst3ClassInfo> {
        // SAFETY: plain factory queries with out-structs we own.
        unsafe {
            let n = self.factory.countClasses();
            (0..n)
                .filter_map(|i| {
                    let mut info: PClassInfo = std::mem::zeroed();
                    (self.factory.getClassInfo(i, &mut info) == kResultOk).then(|| Vst3ClassInfo {
                        cid: info.cid,
                        category: c_text(&info.category),
                        name: c_text(&info.name),
                    })
                })
                .collect()
        }
    }

    /// Creates and initialises the component of class `cid`.
    pub fn create(&self, cid: &TUID) -> Result<Vst3Plugin, Vst3Error> {
        let host = ComWrapper::new(HostApp);
        let handler = ComWrapper::new(ComponentHandler::default());
        // SAFETY: createInstance with our class id and the IComponent iid;
        // the returned pointer carries one reference, which ComPtr takes.
        unsafe {
            let mut obj: *mut c_void = ptr::null_mut();
            check(
                self.factory.createInstance(
                    cid.as_ptr(),
                    IComponent::IID.as_ptr() as *const c_char,
                    &mut obj,
                ),
                "createInstance",
            )?;
            let component = ComPtr::from_raw(obj as *mut IComponent)
                .ok_or_else(|| Vst3Error("createInstance returned null".into()))?;
            let host_ptr = host
                .to_com_ptr::<IHostApplication>()
                .ok_or_else(|| Vst3Error("host application interface".into()))?;
            check(
                component.initialize(host_ptr.as_ptr() as *mut FUnknown),
                "IComponent::initialize",
            )?;
            let processor = component
                .cast::<IAudioProcessor>()
                .ok_or_else(|| Vst3Error("the component is not an IAudioProcessor".into()))?;
            let controller = component.cast::<IEditController>().ok_or_else(|| {
                Vst3Error(
                    "no IEditController on the component (separate controllers are not supported)"
                        .into(),
                )
            })?;
            let handler_ptr = handler
                .to_com_ptr::<IComponentHandler>()
                .ok_or_else(|| Vst3Error("component handler interface".into()))?;
            check(
                controller.setComponentHandler(handler_ptr.as_ptr()),
                "setComponentHandler",
            )?;
            Ok(Vst3Plugin {
                component,
                processor,
                controller,
                _host: host,
                handler,
                channels: 2,
                active: false,
            })
        }
    }
}

impl Drop for Vst3Library {
    fn drop(&mut self) {
        // The factory is released first: after ModuleExit the module may
        // have torn down what its objects need.
        // SAFETY: the factory is not used again; ModuleExit takes no
        // arguments.
        unsafe {
            std::mem::ManuallyDrop::drop(&mut self.factory);
            if let Ok(exit) = self
                .library
                .get::<unsafe extern "C" fn() -> bool>(b"ModuleExit\0")
            {
                exit();
            }
        }
    }
}

/// Parameter as the edit controller describes it.
#[derive(Debug, Clone)]
pub struct Vst3Param {
    /// Parameter id.
    pub id: ParamID,
    /// Title.
    pub title: String,
    /// Units.
    pub units: String,
    /// Steps (0 = continuous).
    pub step_count: i32,
    /// Default, normalised 0..1.
    pub default: f64,
    /// `ParameterInfo::flags`.
    pub flags: i32,
    /// The unit (group) the parameter sits in; 0 is the root unit.
    pub unit_id: i32,
}

/// One unit (parameter group) from `IUnitInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vst3Unit {
    /// Unit id; 0 is the root.
    pub id: i32,
    /// Parent unit id (-1 for the root).
    pub parent: i32,
    /// Display name.
    pub name: String,
}

impl Vst3Param {
    /// Whether this is the parameter the host's bypass should drive.
    pub fn is_bypass(&self) -> bool {
        self.flags & vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_::kIsBypass != 0
    }
}

/// A created plugin: component, audio processor and edit controller.
pub struct Vst3Plugin {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    _host: ComWrapper<HostApp>,
    handler: ComWrapper<ComponentHandler>,
    channels: usize,
    active: bool,
}

impl Vst3Plugin {
    /// Every parameter.
    pub fn params(&self) -> Vec<Vst3Param> {
        // SAFETY: getParameterInfo fills a struct we own.
        unsafe {
            (0..self.controller.getParameterCount())
                .filter_map(|i| {
                    let mut info: ParameterInfo = std::mem::zeroed();
                    (self.controller.getParameterInfo(i, &mut info) == kResultOk).then(|| {
                        Vst3Param {
                            id: info.id,
                            title: utf16_text(&info.title),
                            units: utf16_text(&info.units),
                            step_count: info.stepCount,
                            default: info.defaultNormalizedValue,
                            flags: info.flags,
                            unit_id: info.unitId,
                        }
                    })
                })
                .collect()
        }
    }

    /// The controller's units (`IUnitInfo`); empty if it has no such
    /// interface.
    pub fn units(&self) -> Vec<Vst3Unit> {
        let Some(info) = self.controller.cast::<IUnitInfo>() else {
            return Vec::new();
        };
        // SAFETY: getUnitInfo fills a struct we own.
        unsafe {
            (0..info.getUnitCount())
                .filter_map(|i| {
                    let mut unit: UnitInfo = std::mem::zeroed();
                    (info.getUnitInfo(i, &mut unit) == kResultOk).then(|| Vst3Unit {
                        id: unit.id,
                        parent: unit.parentUnitId,
                        name: utf16_text(&unit.name),
                    })
                })
                .collect()
        }
    }

    /// The controller's normalised value of `id`.
    pub fn param_normalized(&self, id: ParamID) -> f64 {
        // SAFETY: a plain query.
        unsafe { self.controller.getParamNormalized(id) }
    }

    /// Sets a value on the controller side (as a host's generic UI does).
    pub fn set_param_normalized(&self, id: ParamID, value: f64) -> Result<(), Vst3Error> {
        // SAFETY: a plain call.
        check(
            unsafe { self.controller.setParamNormalized(id, value) },
            "setParamNormalized",
        )
    }

    /// Sets up processing for `channels` (1 or 2) at `sample_rate` with
    /// blocks of at most `max_block`, and activates.
    pub fn activate(
        &mut self,
        sample_rate: f64,
        max_block: i32,
        channels: usize,
    ) -> Result<(), Vst3Error> {
        self.deactivate();
        let mut arrangement: SpeakerArrangement = if channels == 1 {
            SpeakerArr::kMono
        } else {
            SpeakerArr::kStereo
        };
        let mut out_arrangement = arrangement;
        // SAFETY: the calls a host makes to set up processing, with structs
        // that outlive them.
        unsafe {
            check(
                self.processor
                    .setBusArrangements(&mut arrangement, 1, &mut out_arrangement, 1),
                "setBusArrangements",
            )?;
            let audio = MediaTypes_::kAudio as i32;
            self.component
                .activateBus(audio, BusDirections_::kInput as i32, 0, 1);
            self.component
                .activateBus(audio, BusDirections_::kOutput as i32, 0, 1);
            let mut setup = ProcessSetup {
                processMode: ProcessModes_::kRealtime as i32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
                maxSamplesPerBlock: max_block,
                sampleRate: sample_rate,
            };
            check(
                self.processor.setupProcessing(&mut setup),
                "setupProcessing",
            )?;
            check(self.component.setActive(1), "setActive(true)")?;
            // Some plugins answer kNotImplemented here, which is allowed.
            let r = self.processor.setProcessing(1);
            if r != kResultOk && r != kNotImplemented {
                return Err(Vst3Error(format!("setProcessing(true) returned {r}")));
            }
        }
        self.channels = channels;
        self.active = true;
        Ok(())
    }

    /// Stops processing and deactivates (nothing if inactive).
    pub fn deactivate(&mut self) {
        if self.active {
            // SAFETY: the reverse of activate.
            unsafe {
                self.processor.setProcessing(0);
                self.component.setActive(0);
            }
            self.active = false;
        }
    }

    /// Reported latency in samples.
    pub fn latency(&self) -> u32 {
        // SAFETY: a plain query.
        unsafe { self.processor.getLatencySamples() }
    }

    /// Reported tail in samples.
    pub fn tail(&self) -> u32 {
        // SAFETY: a plain query.
        unsafe { self.processor.getTailSamples() }
    }

    /// Whether the plugin asked the host to restart with a new latency
    /// since the last call (`IComponentHandler::restartComponent`).
    pub fn take_latency_restart(&self) -> bool {
        self.handler
            .latency_restart
            .swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    /// Processes one block: `input` and `output` are planar with the
    /// activation's channel count, equal lengths (≤ the activation's
    /// `max_block`); `changes` are (parameter id, sample offset, normalised
    /// value).
    pub fn process(
        &mut self,
        input: &[&[f32]],
        output: &mut [&mut [f32]],
        changes: &[(ParamID, i32, f64)],
    ) -> Result<(), Vst3Error> {
        if !self.active {
            return Err(Vst3Error("process while inactive".into()));
        }
        process_block(&self.processor, self.channels, input, output, changes)
    }

    /// A handle for processing on another thread (a host's audio thread)
    /// while this object stays on the main thread, or `None` if inactive.
    pub fn audio_handle(&self) -> Option<Vst3Audio> {
        self.active.then(|| Vst3Audio {
            processor: self.processor.clone(),
            channels: self.channels,
        })
    }

    /// Creates the editor view and attaches it to the X11 window `parent`.
    ///
    /// # Safety
    /// `parent` must be a live X11 window on the display the plugin uses,
    /// until the view is closed.
    pub unsafe fn open_view(&self, parent: u64) -> Result<Vst3View, Vst3Error> {
        // SAFETY: as documented above.
        unsafe { self.open_view_in(parent, None) }
    }

    /// Like [`Self::open_view`], inside a host frame that offers the Linux
    /// `IRunLoop` the way Reaper, Bitwig and Ardour do: the plugin then
    /// runs its GUI-thread work through `run_loop`, which the caller pumps
    /// on its GUI thread ([`RunLoop::pump`]).
    ///
    /// # Safety
    /// As for [`Self::open_view`].
    pub unsafe fn open_view_with_run_loop(
        &self,
        parent: u64,
        run_loop: &RunLoop,
    ) -> Result<Vst3View, Vst3Error> {
        // SAFETY: as documented above.
        unsafe { self.open_view_in(parent, Some(run_loop)) }
    }

    unsafe fn open_view_in(
        &self,
        parent: u64,
        run_loop: Option<&RunLoop>,
    ) -> Result<Vst3View, Vst3Error> {
        // SAFETY: createView returns an owned reference or null.
        unsafe {
            let raw = self
                .controller
                .createView(vst3::Steinberg::Vst::ViewType::kEditor);
            let view = ComPtr::from_raw(raw)
                .ok_or_else(|| Vst3Error("createView returned no view".into()))?;
            check(
                view.isPlatformTypeSupported(vst3::Steinberg::kPlatformTypeX11EmbedWindowID),
                "isPlatformTypeSupported(X11EmbedWindowID)",
            )?;
            let framed = run_loop.is_some();
            if let Some(run_loop) = run_loop {
                let frame = run_loop
                    .frame
                    .to_com_ptr::<IPlugFrame>()
                    .ok_or_else(|| Vst3Error("frame interface".into()))?;
                check(view.setFrame(frame.as_ptr()), "setFrame")?;
            }
            check(
                view.attached(
                    parent as usize as *mut c_void,
                    vst3::Steinberg::kPlatformTypeX11EmbedWindowID,
                ),
                "attached",
            )?;
            Ok(Vst3View { view, framed })
        }
    }

    /// The component's state (`IComponent::getState`).
    pub fn save_state(&self) -> Result<Vec<u8>, Vst3Error> {
        let stream = ComWrapper::new(MemoryStream::default());
        let ptr = stream
            .to_com_ptr::<IBStream>()
            .ok_or_else(|| Vst3Error("stream interface".into()))?;
        // SAFETY: the stream outlives the call.
        check(unsafe { self.component.getState(ptr.as_ptr()) }, "getState")?;
        let bytes = stream.data.borrow().clone();
        Ok(bytes)
    }

    /// Loads a state into the component and then the controller, as hosts
    /// do (`IComponent::setState`, `IEditController::setComponentState`).
    pub fn load_state(&self, bytes: &[u8]) -> Result<(), Vst3Error> {
        for (step, which) in [("setState", 0), ("setComponentState", 1)] {
            let stream = ComWrapper::new(MemoryStream {
                data: RefCell::new(bytes.to_vec()),
                pos: Cell::new(0),
            });
            let ptr = stream
                .to_com_ptr::<IBStream>()
                .ok_or_else(|| Vst3Error("stream interface".into()))?;
            // SAFETY: the stream outlives the call.
            let r = unsafe {
                if which == 0 {
                    self.component.setState(ptr.as_ptr())
                } else {
                    self.controller.setComponentState(ptr.as_ptr())
                }
            };
            check(r, step)?;
        }
        Ok(())
    }
}

impl Drop for Vst3Plugin {
    fn drop(&mut self) {
        self.deactivate();
        // SAFETY: terminate before the last reference goes.
        unsafe {
            self.controller.setComponentHandler(ptr::null_mut());
            self.component.terminate();
        }
    }
}

/// Processes one block through `processor` (see [`Vst3Plugin::process`]).
fn process_block(
    processor: &ComPtr<IAudioProcessor>,
    channels: usize,
    input: &[&[f32]],
    output: &mut [&mut [f32]],
    changes: &[(ParamID, i32, f64)],
) -> Result<(), Vst3Error> {
    let frames = input.first().map_or(0, |c| c.len());
    if input.len() != channels || output.len() != channels {
        return Err(Vst3Error(
            "channel count differs from the activation".into(),
        ));
    }
    let mut in_ptrs: Vec<*mut f32> = input.iter().map(|c| c.as_ptr() as *mut f32).collect();
    let mut out_ptrs: Vec<*mut f32> = output.iter_mut().map(|c| c.as_mut_ptr()).collect();
    let mut in_bus = AudioBusBuffers {
        numChannels: channels as i32,
        silenceFlags: 0,
        __field0: AudioBusBuffers__type0 {
            channelBuffers32: in_ptrs.as_mut_ptr(),
        },
    };
    let mut out_bus = AudioBusBuffers {
        numChannels: channels as i32,
        silenceFlags: 0,
        __field0: AudioBusBuffers__type0 {
            channelBuffers32: out_ptrs.as_mut_ptr(),
        },
    };
    let queues: Vec<ComWrapper<ParamQueue>> = changes
        .iter()
        .map(|&(id, offset, value)| {
            ComWrapper::new(ParamQueue {
                id,
                point: (offset, value),
            })
        })
        .collect();
    let queue_ptrs: Vec<ComPtr<IParamValueQueue>> = queues
        .iter()
        .filter_map(|q| q.to_com_ptr::<IParamValueQueue>())
        .collect();
    let changes_obj = ComWrapper::new(ParamChanges {
        queues: queue_ptrs.iter().map(|q| q.as_ptr()).collect(),
    });
    let changes_ptr = changes_obj
        .to_com_ptr::<IParameterChanges>()
        .ok_or_else(|| Vst3Error("parameter changes interface".into()))?;
    let mut data = ProcessData {
        processMode: ProcessModes_::kRealtime as i32,
        symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
        numSamples: frames as i32,
        numInputs: 1,
        numOutputs: 1,
        inputs: &mut in_bus,
        outputs: &mut out_bus,
        inputParameterChanges: changes_ptr.as_ptr(),
        outputParameterChanges: ptr::null_mut(),
        inputEvents: ptr::null_mut(),
        outputEvents: ptr::null_mut(),
        processContext: ptr::null_mut(),
    };
    // SAFETY: every pointer in `data` lives until this call returns.
    check(unsafe { processor.process(&mut data) }, "process")
}

/// The audio side of an active plugin, for a host's audio thread.
pub struct Vst3Audio {
    processor: ComPtr<IAudioProcessor>,
    channels: usize,
}

// SAFETY: VST 3 calls `process` on the host's audio thread, a different
// thread from the one that created the plugin; the processor interface is
// made for that. Only `process` is reachable through this handle.
unsafe impl Send for Vst3Audio {}

impl Vst3Audio {
    /// See [`Vst3Plugin::process`].
    pub fn process(
        &mut self,
        input: &[&[f32]],
        output: &mut [&mut [f32]],
        changes: &[(ParamID, i32, f64)],
    ) -> Result<(), Vst3Error> {
        process_block(&self.processor, self.channels, input, output, changes)
    }
}

/// An attached editor view.
pub struct Vst3View {
    view: ComPtr<IPlugView>,
    /// Opened inside a host frame (`setFrame`), released again on close.
    framed: bool,
}

impl Vst3View {
    /// Detaches and releases the view.
    pub fn close(self) {
        // SAFETY: the view was attached by `open_view`.
        unsafe {
            self.view.removed();
            if self.framed {
                self.view.setFrame(ptr::null_mut());
            }
        }
    }
}

/// The host's Linux run loop (`IRunLoop`), offered to editors through the
/// host frame (`IPlugFrame`): plugins register file descriptors whose
/// handlers the host calls on its GUI thread when they become readable.
pub struct RunLoop {
    frame: ComWrapper<HostFrame>,
}

impl Default for RunLoop {
    fn default() -> Self {
        Self::new()
    }
}

impl RunLoop {
    /// A run loop with nothing registered.
    pub fn new() -> Self {
        Self {
            frame: ComWrapper::new(HostFrame::default()),
        }
    }

    /// Calls the handler of every registered descriptor that is readable;
    /// returns how many were called. Call it on the GUI thread.
    pub fn pump(&self) -> usize {
        let ready: Vec<(usize, i32)> = {
            let handlers = self
                .frame
                .handlers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            handlers
                .iter()
                .filter(|(_, fd)| {
                    let mut poll = libc::pollfd {
                        fd: *fd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one pollfd we own, no waiting.
                    unsafe { libc::poll(&mut poll, 1, 0) > 0 && poll.revents & libc::POLLIN != 0 }
                })
                .copied()
                .collect()
        };
        for &(handler, fd) in &ready {
            // SAFETY: the plugin registered this handler for `fd` and only
            // unregisters it on this (the GUI) thread, not during this loop.
            if let Some(handler) = unsafe { vst3::ComRef::from_raw(handler as *mut IEventHandler) }
            {
                unsafe { handler.onFDIsSet(fd) };
            }
        }
        ready.len()
    }

    /// Descriptors currently registered.
    pub fn registered(&self) -> usize {
        self.frame
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

/// `IPlugFrame` + `IRunLoop`: the window the editor lives in, with the run
/// loop Linux hosts offer through it. Resizes are refused (fixed parent).
#[derive(Default)]
struct HostFrame {
    /// Registered handlers (their addresses) and descriptors. Held without
    /// a reference count, as hosts do: a plugin unregisters its handler
    /// when the handler is released, which a counted reference here would
    /// prevent.
    handlers: std::sync::Mutex<Vec<(usize, i32)>>,
}

impl Class for HostFrame {
    type Interfaces = (IPlugFrame, IRunLoop);
}

impl IPlugFrameTrait for HostFrame {
    unsafe fn resizeView(&self, _view: *mut IPlugView, _size: *mut ViewRect) -> tresult {
        kResultFalse
    }
}

impl IRunLoopTrait for HostFrame {
    unsafe fn registerEventHandler(
        &self,
        handler: *mut IEventHandler,
        fd: FileDescriptor,
    ) -> tresult {
        if handler.is_null() {
            return kInvalidArgument;
        }
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((handler as usize, fd));
        kResultOk
    }

    unsafe fn unregisterEventHandler(&self, handler: *mut IEventHandler) -> tresult {
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&(h, _)| h != handler as usize);
        kResultOk
    }

    unsafe fn registerTimer(&self, _handler: *mut ITimerHandler, _ms: TimerInterval) -> tresult {
        kResultOk
    }

    unsafe fn unregisterTimer(&self, _handler: *mut ITimerHandler) -> tresult {
        kResultOk
    }
}

/// `IHostApplication`: a name, and no host-created objects.
struct HostApp;

impl Class for HostApp {
    type Interfaces = (IHostApplication,);
}

impl IHostApplicationTrait for HostApp {
    unsafe fn getName(&self, name: *mut String128) -> tresult {
        if name.is_null() {
            return kInvalidArgument;
        }
        let text: Vec<u16> = "glass".encode_utf16().chain(Some(0)).collect();
        // SAFETY: `name` points to 128 UTF-16 units.
        unsafe {
            (&mut *name)[..text.len()].copy_from_slice(&text);
        }
        kResultOk
    }

    unsafe fn createInstance(
        &self,
        _cid: *mut TUID,
        _iid: *mut TUID,
        obj: *mut *mut c_void,
    ) -> tresult {
        if !obj.is_null() {
            // SAFETY: `obj` is an out-pointer from the plugin.
            unsafe { *obj = ptr::null_mut() };
        }
        kResultFalse
    }
}

/// `IComponentHandler`: records restart requests.
#[derive(Default)]
struct ComponentHandler {
    /// Set by `restartComponent(kLatencyChanged)`, which a plugin may call
    /// from any of its threads.
    latency_restart: std::sync::atomic::AtomicBool,
}

impl Class for ComponentHandler {
    type Interfaces = (IComponentHandler,);
}

impl IComponentHandlerTrait for ComponentHandler {
    unsafe fn beginEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn performEdit(&self, _id: ParamID, _value: ParamValue) -> tresult {
        kResultOk
    }
    unsafe fn endEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn restartComponent(&self, flags: int32) -> tresult {
        if flags & RestartFlags_::kLatencyChanged as int32 != 0 {
            self.latency_restart
                .store(true, std::sync::atomic::Ordering::Release);
        }
        kResultOk
    }
}

/// One parameter's change at one sample offset.
struct ParamQueue {
    id: ParamID,
    point: (i32, f64),
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }
    unsafe fn getPointCount(&self) -> int32 {
        1
    }
    unsafe fn getPoint(&self, index: int32, offset: *mut int32, value: *mut ParamValue) -> tresult {
        if index != 0 || offset.is_null() || value.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: out-pointers from the plugin, checked above.
        unsafe {
            *offset = self.point.0;
            *value = self.point.1;
        }
        kResultOk
    }
    unsafe fn addPoint(&self, _offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse
    }
}

/// The input parameter changes of one block.
struct ParamChanges {
    queues: Vec<*mut IParamValueQueue>,
}

impl Class for ParamChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParamChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }
    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.queues.get(i).copied())
            .unwrap_or(ptr::null_mut())
    }
    unsafe fn addParameterData(
        &self,
        _id: *const ParamID,
        _index: *mut int32,
    ) -> *mut IParamValueQueue {
        ptr::null_mut()
    }
}

/// `IBStream` over a byte vector.
#[derive(Default)]
struct MemoryStream {
    data: RefCell<Vec<u8>>,
    pos: Cell<usize>,
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, bytes: int32, read: *mut int32) -> tresult {
        let data = self.data.borrow();
        let pos = self.pos.get().min(data.len());
        let n = usize::try_from(bytes).unwrap_or(0).min(data.len() - pos);
        if n > 0 && buffer.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: the plugin's buffer holds `bytes` ≥ n bytes.
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr().add(pos), buffer as *mut u8, n);
            if !read.is_null() {
                *read = n as int32;
            }
        }
        self.pos.set(pos + n);
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, bytes: int32, written: *mut int32) -> tresult {
        let n = usize::try_from(bytes).unwrap_or(0);
        if n > 0 && buffer.is_null() {
            return kInvalidArgument;
        }
        let mut data = self.data.borrow_mut();
        let pos = self.pos.get();
        if data.len() < pos + n {
            data.resize(pos + n, 0);
        }
        // SAFETY: the plugin's buffer holds `bytes` bytes.
        unsafe {
            ptr::copy_nonoverlapping(buffer as *const u8, data.as_mut_ptr().add(pos), n);
            if !written.is_null() {
                *written = n as int32;
            }
        }
        self.pos.set(pos + n);
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let len = self.data.borrow().len() as int64;
        // The seek-mode constants' integer type differs between platforms'
        // bindings; compare as i64.
        use IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
        let mode = i64::from(mode);
        let base = match mode {
            m if m == i64::from(kIBSeekSet) => 0,
            m if m == i64::from(kIBSeekCur) => self.pos.get() as int64,
            m if m == i64::from(kIBSeekEnd) => len,
            _ => return kInvalidArgument,
        };
        let new = (base + pos).clamp(0, len);
        self.pos.set(new as usize);
        if !result.is_null() {
            // SAFETY: out-pointer from the plugin.
            unsafe { *result = new };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: out-pointer from the plugin.
        unsafe { *pos = self.pos.get() as int64 };
        kResultOk
    }
}

/// The category string of audio effect classes (`kVstAudioEffectClass`).
pub const AUDIO_MODULE_CLASS: &str = "Audio Module Class";
