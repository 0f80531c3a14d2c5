//! The man pages (clap_mangen) and shell completions (clap_complete) shipped in the
//! Debian package, generated from the command line's own clap definition so they cannot
//! drift from `--help`. The packaging step runs the hidden `hongyan generate-docs DIR`.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

/// Where each generated file goes under the output directory: `man/` for the pages
/// (`hongyan.1` and one `hongyan-COMMAND.1` per command), `completions/` for bash
/// (`hongyan.bash`), zsh (`_hongyan`) and fish (`hongyan.fish`).
///
/// # Errors
/// A directory or file cannot be written.
pub fn generate(cmd: clap::Command, out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let man = out.join("man");
    let completions = out.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    clap_mangen::generate_to(cmd.clone(), &man)?;
    let mut written: Vec<PathBuf> = std::fs::read_dir(&man)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = cmd.clone();
        written.push(clap_complete::generate_to(
            shell,
            &mut cmd,
            "hongyan",
            &completions,
        )?);
    }
    written.sort();
    Ok(written)
}

/// Runs the hidden `hongyan generate-docs DIR`: writes the files and prints each path.
pub(super) fn run(dir: &Path) -> anyhow::Result<std::process::ExitCode> {
    use clap::CommandFactory;
    for path in generate(super::Cli::command(), dir)? {
        outln!("{}", path.display());
    }
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn pages_and_completions_are_written_for_every_command() {
        let dir = TempDir::new("man");
        let cmd = clap::Command::new("hongyan")
            .about("test")
            .subcommand(clap::Command::new("run").about("Run the daemon"))
            .subcommand(clap::Command::new("backup").about("Back up"));
        let written = generate(cmd, dir.path()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "hongyan.1",
            "hongyan-run.1",
            "hongyan-backup.1",
            "hongyan.bash",
            "_hongyan",
            "hongyan.fish",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        let page = std::fs::read_to_string(dir.join("man/hongyan-run.1")).unwrap();
        assert!(page.contains("Run the daemon"), "{page}");
    }
}
