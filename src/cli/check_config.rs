//! `hongyan check-config`: load and validate a config file without starting anything,
//! and print what it would run.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

/// Runs `hongyan check-config`.
pub(super) fn run(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config =
        crate::config::load_file(path).with_context(|| format!("config {}", path.display()))?;
    if let Some(exposed) = crate::config::exposure::check_file(path) {
        eprintln!("warning: {exposed}");
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "config {} is valid", path.display())?;
    writeln!(
        stdout,
        "  data: {}",
        config
            .storage
            .data_dir
            .join(&config.storage.database)
            .display()
    )?;
    writeln!(stdout, "  api:  {}", config.api.listen)?;
    for link in &config.links {
        let target = if link.simulated {
            "simulated".to_string()
        } else {
            link.address.clone().unwrap_or_default()
        };
        writeln!(
            stdout,
            "  link {}: {} for {} numbers via {target}, service code {}",
            link.name,
            link.protocol.name(),
            link.carrier(),
            link.service_code
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
