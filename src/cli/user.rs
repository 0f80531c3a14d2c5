//! `hongyan user …`: the staff console's accounts, on the data directory — whether or not
//! the daemon runs. The database is found as `hongyan run` finds it (`--config`'s
//! `[storage]`, else `$HONGYAN_DATA` or `./hongyan-data`) and opened directly: SQLite in
//! WAL mode lets this process write an account while the daemon works (each waits up to
//! the busy timeout for the other's short transaction), and the daemon keeps nothing
//! about accounts in memory — it reads them at each login and each request's session.
//! Run it as the user the daemon runs as, so the files keep their owner.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::store::{Store, StoreError, StoreOptions};
use crate::web::accounts::{self, AccountError};
use crate::web::password;
use crate::web::roles::Role;

/// `hongyan user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// The config file the daemon runs with (only its [storage] is read); without it,
    /// the data directory is $HONGYAN_DATA or ./hongyan-data.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed
    /// once.
    Add {
        /// The login name (1–32 letters, digits, '.', '_', '-', '@').
        name: String,
        /// admin (accounts, settings, everything), staff (send, contacts, inbox, drafts,
        /// approvals they create) or approver (their own approvals; read-only otherwise).
        #[arg(long, value_enum)]
        role: Role,
        /// The person's mobile number (an approver's: the console knows them by it).
        #[arg(long)]
        phone: Option<String>,
        /// Read the password from the first line of standard input (at least 10
        /// characters).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Set a new password (generated and printed once without --password-stdin); the
    /// account's console sessions end.
    Passwd {
        /// The login name.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it cannot log in, and its sessions end.
    Disable {
        /// The login name.
        name: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The login name.
        name: String,
    },
}

/// Runs `hongyan user`.
pub(super) fn run(args: UserArgs) -> anyhow::Result<ExitCode> {
    let path = crate::config::database_path(args.config.as_deref()).map_err(|e| {
        anyhow::anyhow!(
            "config {}: {e}",
            args.config
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string())
        )
    })?;
    let mut store = open(&path)?;
    let now = crate::store::now_millis();
    match args.command {
        UserCommand::Add {
            name,
            role,
            phone,
            password_stdin,
        } => {
            let (pw, generated) = password_for(password_stdin)?;
            let account =
                accounts::new_account(&name, role, phone.as_deref(), &pw).map_err(explain)?;
            match store.account_create(&account, now) {
                Ok(_) => {}
                Err(StoreError::AccountExists(_)) => anyhow::bail!(
                    "an account named {name:?} exists already; `hongyan user passwd {name}` sets a new password"
                ),
                Err(e) => return Err(e).context("cannot create the account"),
            }
            outln!("created {role} account {name}");
            if generated {
                outln!("password: {pw}");
                outln!(
                    "(shown once: hand it to the person; `hongyan user passwd {name}` makes a new one)"
                );
            }
        }
        UserCommand::List => {
            let all = store.account_list().context("cannot read the accounts")?;
            if all.is_empty() {
                outln!("no accounts (the first `hongyan run` creates admin)");
            }
            for a in all {
                outln!(
                    "{:<20} {:<9} {:<12} {}",
                    a.username,
                    a.role,
                    a.phone.as_deref().unwrap_or("-"),
                    if a.disabled { "disabled" } else { "enabled" }
                );
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let a = existing(&store, &name)?;
            let (pw, generated) = password_for(password_stdin)?;
            let hash = password::hash(&pw).map_err(|e| explain(e.into()))?;
            store
                .account_set_password(a.id, &hash, now)
                .context("cannot set the password")?;
            outln!("new password set for {name}; its console sessions have ended");
            if generated {
                outln!("password: {pw}");
                outln!("(shown once)");
            }
        }
        UserCommand::Disable { name } => set_disabled(&mut store, &name, true)?,
        UserCommand::Enable { name } => set_disabled(&mut store, &name, false)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the database for writing, creating the data directory (owner-only) if this is
/// the first thing ever run on it.
fn open(path: &Path) -> anyhow::Result<Store> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::daemon::datadir::prepare(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    Store::open(path, &StoreOptions::default())
        .with_context(|| format!("cannot open the database {}", path.display()))
}

/// The password to set: the first line of standard input, or a generated one (true).
fn password_for(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((password::generate()?, true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.strip_suffix('\n').unwrap_or(&line);
    let pw = pw.strip_suffix('\r').unwrap_or(pw).to_owned();
    password::check(&pw).map_err(|e| explain(e.into()))?;
    Ok((pw, false))
}

fn existing(store: &Store, name: &str) -> anyhow::Result<crate::store::Account> {
    store
        .account_named(name)
        .context("cannot read the accounts")?
        .ok_or_else(|| {
            anyhow::anyhow!("no account named {name:?} (`hongyan user list` shows them)")
        })
}

fn set_disabled(store: &mut Store, name: &str, disabled: bool) -> anyhow::Result<()> {
    let a = existing(store, name)?;
    if disabled {
        let all = store.account_list().context("cannot read the accounts")?;
        let role = Role::parse(&a.role).unwrap_or(Role::Approver);
        if !accounts::leaves_an_admin(&all, a.id, role, true) {
            anyhow::bail!(
                "{name} is the last enabled admin; make another account admin first (`hongyan user add NAME --role admin`)"
            );
        }
    }
    store
        .account_set_disabled(a.id, disabled)
        .context("cannot change the account")?;
    if disabled {
        outln!("disabled {name}; its console sessions have ended");
    } else {
        outln!("enabled {name}");
    }
    Ok(())
}

/// An account error as the command line says it.
fn explain(e: AccountError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
