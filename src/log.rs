//! One logging shim, as smoltcp has: `log` (feature `log`, the default) or
//! `defmt` (feature `defmt`), or nothing: `crate::log::net_debug!` and its
//! siblings, named as smoltcp's are. Every call uses positional
//! arguments (`"{}", x`), since defmt takes no inline captures.

#[cfg(all(feature = "log", feature = "defmt"))]
compile_error!("smolsock: enable at most one of the features `log` and `defmt`");

macro_rules! log_at {
    ($level:ident, $($arg:expr),* $(,)?) => {{
        #[cfg(feature = "log")]
        ::log::$level!($($arg),*);
        #[cfg(feature = "defmt")]
        ::defmt::$level!($($arg),*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        {
            $( let _ = &$arg; )*
        }
    }};
}

#[allow(unused_macros)]
macro_rules! net_trace {
    ($($arg:expr),* $(,)?) => { $crate::log::log_at!(trace, $($arg),*) };
}
#[allow(unused_macros)]
macro_rules! net_debug {
    ($($arg:expr),* $(,)?) => { $crate::log::log_at!(debug, $($arg),*) };
}
#[allow(unused_macros)]
macro_rules! net_info {
    ($($arg:expr),* $(,)?) => { $crate::log::log_at!(info, $($arg),*) };
}
#[allow(unused_macros)]
macro_rules! net_warn {
    ($($arg:expr),* $(,)?) => { $crate::log::log_at!(warn, $($arg),*) };
}
#[allow(unused_macros)]
macro_rules! net_error {
    ($($arg:expr),* $(,)?) => { $crate::log::log_at!(error, $($arg),*) };
}

pub(crate) use log_at;
#[allow(unused_imports)]
pub(crate) use {net_debug, net_error, net_info, net_trace, net_warn};
