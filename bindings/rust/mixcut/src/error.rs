//! The crate's one error type: a [`Status`] mirroring `mixcut_status`, and a message
//! saying which argument was wrong (from the library, or from this crate's own checks).
use mixcut_sys as sys;
use std::ffi::CStr;
use std::fmt;

/// Why a call failed: the C library's `mixcut_status`, one variant per error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A required pointer was NULL (cannot come from safe Rust; listed for completeness).
    NullPointer,
    /// A size is zero, negative, overflows, or a slice is too short for its shape.
    BadSize,
    /// A dtype pair that cannot be converted (float32 to uint8).
    BadDtype,
    /// An unknown layout, or samples of one gather in different layouts.
    BadLayout,
    /// An unknown enum value.
    BadEnum,
    /// A real parameter out of its domain (NaN alpha, probability outside [0, 1], ...).
    BadParam,
    /// A partner (or hole sample) index outside `[0, n)`.
    BadPartner,
    /// A hard label outside `[0, num_classes)`.
    BadLabel,
    /// A plan's `lam` is NaN or outside `[0, 1]`.
    BadLam,
    /// A box outside the image, or a hole bigger than the image.
    BadBox,
    /// Source, destination, plan or labels disagree on `n`, `c`, `h` or `w`.
    ShapeMismatch,
    /// Source and destination overlap without being the same buffer.
    Overlap,
    /// A valid request this build or CPU cannot serve.
    Unsupported,
    /// Scratch allocation failed.
    OutOfMemory,
    /// A bug in mixcut (also any status code this crate does not know).
    Internal,
}

impl Status {
    /// The C status code (`MIXCUT_ERR_*`).
    pub fn code(self) -> i32 {
        match self {
            Status::NullPointer => sys::MIXCUT_ERR_NULL_POINTER,
            Status::BadSize => sys::MIXCUT_ERR_BAD_SIZE,
            Status::BadDtype => sys::MIXCUT_ERR_BAD_DTYPE,
            Status::BadLayout => sys::MIXCUT_ERR_BAD_LAYOUT,
            Status::BadEnum => sys::MIXCUT_ERR_BAD_ENUM,
            Status::BadParam => sys::MIXCUT_ERR_BAD_PARAM,
            Status::BadPartner => sys::MIXCUT_ERR_BAD_PARTNER,
            Status::BadLabel => sys::MIXCUT_ERR_BAD_LABEL,
            Status::BadLam => sys::MIXCUT_ERR_BAD_LAM,
            Status::BadBox => sys::MIXCUT_ERR_BAD_BOX,
            Status::ShapeMismatch => sys::MIXCUT_ERR_SHAPE_MISMATCH,
            Status::Overlap => sys::MIXCUT_ERR_OVERLAP,
            Status::Unsupported => sys::MIXCUT_ERR_UNSUPPORTED,
            Status::OutOfMemory => sys::MIXCUT_ERR_OUT_OF_MEMORY,
            Status::Internal => sys::MIXCUT_ERR_INTERNAL,
        }
    }

    /// The status of a nonzero C code; codes this crate does not know are `Internal`.
    pub fn from_code(code: i32) -> Status {
        const ALL: [Status; 15] = [
            Status::NullPointer,
            Status::BadSize,
            Status::BadDtype,
            Status::BadLayout,
            Status::BadEnum,
            Status::BadParam,
            Status::BadPartner,
            Status::BadLabel,
            Status::BadLam,
            Status::BadBox,
            Status::ShapeMismatch,
            Status::Overlap,
            Status::Unsupported,
            Status::OutOfMemory,
            Status::Internal,
        ];
        ALL.into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Status::Internal)
    }

    /// The library's short description, e.g. "bad partner index".
    pub fn description(self) -> &'static str {
        // SAFETY: mixcut_status_string returns static storage, never NULL.
        let text = unsafe { CStr::from_ptr(sys::mixcut_status_string(self.code())) };
        text.to_str().unwrap_or("mixcut error")
    }
}

/// A failed call: its [`Status`] and a message naming the offending argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn status(&self) -> Status {
        self.status
    }

    /// What was wrong, e.g. `plan[3].partner = 9 is outside [0, 8)`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.description(), self.message)
    }
}

impl std::error::Error for Error {}

/// `Result<T, mixcut::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

/// Ok for `MIXCUT_OK`, else the status with the calling thread's `mixcut_last_error()`.
pub(crate) fn check(code: sys::mixcut_status) -> Result<()> {
    if code == sys::MIXCUT_OK {
        return Ok(());
    }
    // SAFETY: mixcut_last_error returns a valid C string of this thread, never NULL.
    let message = unsafe { CStr::from_ptr(sys::mixcut_last_error()) };
    let mut message = message.to_string_lossy().into_owned();
    let status = Status::from_code(code);
    if status.code() != code {
        message = format!("unknown status {code}: {message}");
    }
    Err(Error::new(status, message))
}

/// `Err` with `status` and a formatted message, for this crate's own checks.
macro_rules! fail {
    ($status:ident, $($arg:tt)*) => {
        return Err($crate::error::Error::new($crate::Status::$status, format!($($arg)*)))
    };
}
pub(crate) use fail;
