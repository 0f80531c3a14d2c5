//! Standard output for commands: `outln!` and how a closed pipe or a full disk ends the
//! program, so every command behaves like a Unix tool under `| head`.

/// `println!` for the command line's output. When the reader has closed its end
/// (`hongyan jobs | head -3`), the program ends at once, quietly and successfully, as Unix
/// tools do, instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::print_line(format_args!($($arg)*))
    };
}

use std::io::Write;

/// Writes one line to standard output (see `outln!`): on a closed pipe the process ends
/// quietly with success; on another write error (a full disk) it ends with the error.
pub(crate) fn print_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing standard output: {e}");
            std::process::exit(1);
        }
    }
}

/// True when `e` comes from writing to a pipe whose reader has closed it.
pub(crate) fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
