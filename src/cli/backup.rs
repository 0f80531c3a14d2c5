//! `hongyan backup FILE`: an online copy of the database while the daemon runs (see
//! `store::backup`), with progress on a terminal.

use std::io::IsTerminal;
use std::process::ExitCode;

/// Runs `hongyan backup`.
pub(super) fn run(
    config: Option<&std::path::Path>,
    file: &std::path::Path,
    force: bool,
) -> anyhow::Result<ExitCode> {
    use crate::store::backup;
    let source = crate::config::database_path(config).map_err(|e| {
        anyhow::anyhow!(
            "config {}: {e}",
            config.map_or_else(String::new, |p| p.display().to_string())
        )
    })?;
    let tty = std::io::stderr().is_terminal();
    let report = backup::backup(&source, file, force, |p| {
        if tty {
            eprint!(
                "\rbacking up {}: page {} of {}",
                source.display(),
                p.done,
                p.total
            );
        }
    })?;
    if tty {
        eprintln!();
    }
    outln!(
        "backed up {} to {} ({} pages, {} bytes)",
        report.source.display(),
        report.file.display(),
        report.pages,
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}
