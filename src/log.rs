//! One logging shim, as smoltcp has: `log` (feature `log`, the default) or
//! `defmt` (feature `defmt`), or nothing: `crate::log::net_debug!` and its
//! siblings, named as smoltcp's are. Every call uses positional
//! arguments (`"{}", x`), since defmt takes no inline captures.

#[cfg(all(feature = "log", feature = "defmt"))]
compile_error!("smolsock: enable at most one of the features `log` and `defmt`");

macro_rules! log_at {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::$level!($fmt $(, $arg)*);
        // defmt takes only `defmt::Format` values; `Debug2Format` lets every
        // call site log any `Debug` value, at the cost of formatting on the
        // device, which only happens at enabled levels.
        #[cfg(feature = "defmt")]
        ::defmt::$level!($fmt $(, ::defmt::Debug2Format(&$arg))*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        {
            $( let _ = &$arg; )*
        }
    }};
}

#[allow(unused_macros)]
macro_rules! net_trace {
    ($($t:tt)*) => { $crate::log::log_at!(trace, $($t)*) };
}
#[allow(unused_macros)]
macro_rules! net_debug {
    ($($t:tt)*) => { $crate::log::log_at!(debug, $($t)*) };
}
#[allow(unused_macros)]
macro_rules! net_info {
    ($($t:tt)*) => { $crate::log::log_at!(info, $($t)*) };
}
#[allow(unused_macros)]
macro_rules! net_warn {
    ($($t:tt)*) => { $crate::log::log_at!(warn, $($t)*) };
}
#[allow(unused_macros)]
macro_rules! net_error {
    ($($t:tt)*) => { $crate::log::log_at!(error, $($t)*) };
}

pub(crate) use log_at;
#[allow(unused_imports)]
pub(crate) use {net_debug, net_error, net_info, net_trace, net_warn};
