//! Macros for the whole crate, declared before every other module so all of them see them.

/// `eprintln!` through the console thread (in order with stdout's rows, never blocking the runtime,
/// never panicking on a closed stderr pipe as std's does: `console.rs`). Shadows std's everywhere.
/// Unit tests get std's, which the test harness captures (a write from another thread it does not).
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        #[cfg(not(test))]
        $crate::console::line(format!("{}\n", format_args!($($arg)*)).into_bytes());
        #[cfg(test)]
        ::std::eprintln!($($arg)*);
    }};
}
