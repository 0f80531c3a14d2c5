//! The router `[routing]` describes — prefixes, the portability file, fallbacks — over
//! the carriers the running links serve: built at start, and again on SIGHUP by
//! [`RoutingReload`], which swaps it into the [`Submitter`] for new sends.
//!
//! At start a portability row that cannot be read is skipped with a warning (there is no
//! table to keep). On reload the file was just edited and a table is in effect, so a file
//! with any bad row — or one that cannot be read at all — changes nothing: the routing in
//! effect stays and the error names `routing.portability_file` and each bad line.

use std::path::{Path, PathBuf};

use super::intake::Submitter;
use crate::config::{self, Config};
use crate::daemon::reload::{ConfigReload, ReloadError};
use crate::route::{Carrier, ImportReport, PortabilityTable, PrefixTable, Router};

/// The key of the portability file.
pub const PORTABILITY_KEY: &str = "routing.portability_file";

/// Bad rows a refused reload names one by one; the rest are counted.
const NAMED_ROWS: usize = 5;

/// `[routing]` cannot be made into a router.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct RoutingError {
    /// The key at fault, as the file spells it (`routing.fallback.broadnet`).
    pub key: String,
    /// Why.
    pub reason: String,
}

fn error(key: impl Into<String>, reason: impl Into<String>) -> RoutingError {
    RoutingError {
        key: key.into(),
        reason: reason.into(),
    }
}

/// A router built from `[routing]`, with what the portability file held.
#[derive(Debug)]
pub struct BuiltRouter {
    /// The router.
    pub router: Router,
    /// The portability file read, and its import report (rows taken and rejected).
    pub portability: Option<(PathBuf, ImportReport)>,
}

/// The router of `routing` for links serving `links`.
///
/// # Errors
/// A prefix or fallback that cannot be set, a fallback to a carrier no running link
/// serves, or a portability file that cannot be opened or read (each naming its key).
/// Rows of the file that cannot be read are not errors here: they are in the report.
pub fn build(routing: &config::Routing, links: &[Carrier]) -> Result<BuiltRouter, RoutingError> {
    let mut table = PrefixTable::builtin();
    let prefixes_key = routing.prefixes_key.as_str();
    for (prefix, carrier) in &routing.prefixes {
        table
            .extend(prefix, *carrier)
            .map_err(|e| error(format!("{prefixes_key}.{prefix}"), e.to_string()))?;
    }
    let mut portability = PortabilityTable::new();
    let report = match &routing.portability_file {
        Some(path) => Some((path.clone(), import(&mut portability, path)?)),
        None => None,
    };
    let mut router = Router::new(table, portability);
    for carrier in links {
        router.add_link(*carrier);
    }
    for (from, to) in &routing.fallback {
        router
            .set_fallback(*from, *to)
            .map_err(|e| error(format!("routing.fallback.{from}"), e.to_string()))?;
    }
    // The config's own check is against its links; on reload the links running are
    // those the daemon started with.
    if let Some((from, to)) = router.unusable_fallbacks().first() {
        return Err(error(
            format!("routing.fallback.{from}"),
            format!(
                "no running link serves {} numbers (a new [[link]] needs a restart)",
                to.full_name()
            ),
        ));
    }
    Ok(BuiltRouter {
        router,
        portability: report,
    })
}

fn import(table: &mut PortabilityTable, path: &Path) -> Result<ImportReport, RoutingError> {
    let file = std::fs::File::open(path).map_err(|e| {
        error(
            PORTABILITY_KEY,
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    table
        .import_csv(std::io::BufReader::new(file))
        .map_err(|e| error(PORTABILITY_KEY, format!("{}: {e}", path.display())))
}

/// Whether a reloaded portability file may replace the table in effect: only when every
/// row was read. The refusal names the file and its bad lines.
pub fn judge_reload(built: &BuiltRouter) -> Result<(), RoutingError> {
    let Some((path, report)) = &built.portability else {
        return Ok(());
    };
    if report.rejected.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = report
        .rejected
        .iter()
        .take(NAMED_ROWS)
        .map(ToString::to_string)
        .collect();
    if report.rejected.len() > NAMED_ROWS {
        lines.push(format!("and {} more", report.rejected.len() - NAMED_ROWS));
    }
    Err(error(
        PORTABILITY_KEY,
        format!(
            "{}: {} row(s) cannot be read, so the routing in effect stays: {}",
            path.display(),
            report.rejected.len(),
            lines.join("; ")
        ),
    ))
}

/// The routing's part of a config reload (SIGHUP): every `[routing]` key, and the
/// portability file re-read even when the config names the same one.
#[derive(Debug, Clone)]
pub struct RoutingReload {
    submitter: Submitter,
    links: Vec<Carrier>,
}

impl RoutingReload {
    /// Swaps routers into `submitter`, for the carriers of the running `config`'s links.
    pub fn new(submitter: Submitter, config: &Config) -> Self {
        Self {
            submitter,
            links: config.links.iter().map(config::Link::carrier).collect(),
        }
    }
}

impl ConfigReload for RoutingReload {
    fn keys(&self) -> &'static [&'static str] {
        &["routing"]
    }

    fn rereads(&self, new: &Config) -> Option<&'static str> {
        new.routing
            .portability_file
            .as_ref()
            .map(|_| PORTABILITY_KEY)
    }

    fn reload(&self, new: &Config) -> Result<(), ReloadError> {
        let into = |e: RoutingError| ReloadError {
            key: e.key,
            reason: e.reason,
        };
        let built = build(&new.routing, &self.links).map_err(into)?;
        judge_reload(&built).map_err(into)?;
        let numbers = built.router.portability().len();
        self.submitter.replace_router(built.router);
        tracing::info!(
            portability_numbers = numbers,
            "routing reloaded: new sends route with it"
        );
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::dispatch::Changes;
    use crate::store::testutil::TempDb;
    use crate::store::{StoreHandle, StoreOptions};

    const PORTED: &str = "13900139000";

    /// A database and, beside it, the portability file; both removed on drop.
    struct Files {
        db: TempDb,
        csv: PathBuf,
    }

    impl Files {
        fn new(name: &str) -> Self {
            let db = TempDb::new(name);
            let csv = db.path().with_extension("ported.csv");
            Self { db, csv }
        }

        fn write(&self, csv: &str) {
            std::fs::write(&self.csv, csv).unwrap();
        }

        /// Two links (China Mobile, China Telecom) and this portability file.
        fn config(&self, routing: &str) -> Config {
            crate::config::parse(&format!(
                "[[link]]\nname = \"m\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\n\
                 secret = \"s\"\nservice_code = \"10690123\"\n\
                 [[link]]\nname = \"t\"\nprotocol = \"smgp\"\nsimulated = true\naccount = \"901234\"\n\
                 secret = \"s\"\nservice_code = \"10690123\"\n\
                 [routing]\nportability_file = {:?}\n{routing}",
                self.csv.display().to_string()
            ))
            .unwrap()
        }

        /// A submitter routed as `config` says, the portability file holding `csv`.
        fn submitter(&self, config: &Config, csv: &str) -> Submitter {
            self.write(csv);
            let store = StoreHandle::open(self.db.path(), StoreOptions::default()).unwrap();
            let links: Vec<Carrier> = config.links.iter().map(config::Link::carrier).collect();
            let router = build(&config.routing, &links).unwrap().router;
            Submitter::new(config, router, store, HashMap::new(), Changes::default())
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.csv);
        }
    }

    fn carrier(s: &Submitter, number: &str) -> Carrier {
        s.router().route(number).unwrap().via
    }

    #[tokio::test]
    async fn a_changed_portability_file_moves_the_number_for_new_sends() {
        let f = Files::new("routing-reload");
        let c = f.config("");
        let s = f.submitter(&c, "");
        assert_eq!(carrier(&s, PORTED), Carrier::Mobile);
        let reload = RoutingReload::new(s.clone(), &c);
        f.write(&format!("{PORTED},telecom\n"));
        reload.reload(&c).unwrap();
        assert_eq!(carrier(&s, PORTED), Carrier::Telecom);
        // And through the submitter's clones: the API and the workflow hold those.
        let out = s
            .clone()
            .send(crate::dispatch::SendRequest::new(vec![PORTED.into()], "hi"))
            .await
            .unwrap();
        let crate::dispatch::RecipientOutcome::Accepted { via, .. } = &out.recipients[0] else {
            panic!("{out:?}")
        };
        assert_eq!(*via, Carrier::Telecom);
    }

    #[tokio::test]
    async fn a_bad_row_changes_nothing_and_the_error_names_the_key_and_line() {
        let f = Files::new("routing-bad-row");
        let c = f.config("");
        let s = f.submitter(&c, &format!("{PORTED},telecom\n"));
        let reload = RoutingReload::new(s.clone(), &c);
        f.write("13800138000,unicom\n13700137000,nowhere\n");
        let err = reload.reload(&c).unwrap_err();
        assert_eq!(err.key, PORTABILITY_KEY);
        assert!(err.reason.contains("line 2"), "{err}");
        assert!(err.reason.contains("nowhere"), "{err}");
        assert_eq!(
            carrier(&s, PORTED),
            Carrier::Telecom,
            "the table in effect stays"
        );
        assert_eq!(
            carrier(&s, "13800138000"),
            Carrier::Mobile,
            "no good row taken either"
        );
        std::fs::remove_file(&f.csv).unwrap();
        let err = reload.reload(&c).unwrap_err();
        assert_eq!(err.key, PORTABILITY_KEY);
        assert!(err.reason.contains("cannot open"), "{err}");
        assert_eq!(carrier(&s, PORTED), Carrier::Telecom);
    }

    #[tokio::test]
    async fn prefixes_and_fallbacks_reload_and_a_fallback_to_no_running_link_is_refused() {
        let f = Files::new("routing-prefixes");
        let c = f.config("");
        let s = f.submitter(&c, "");
        let reload = RoutingReload::new(s.clone(), &c);
        assert_eq!(reload.rereads(&c), Some(PORTABILITY_KEY));
        let moved = f.config("[routing.prefixes]\n\"1390013\" = \"telecom\"\n");
        reload.reload(&moved).unwrap();
        assert_eq!(carrier(&s, PORTED), Carrier::Telecom);
        // Broadnet (192…) has no link: its numbers fail until a fallback names one.
        assert!(s.router().route("19200192000").is_err());
        let fallback = f.config("[routing.fallback]\nbroadnet = \"mobile\"\n");
        reload.reload(&fallback).unwrap();
        assert_eq!(carrier(&s, "19200192000"), Carrier::Mobile);
        assert_eq!(
            carrier(&s, PORTED),
            Carrier::Mobile,
            "the prefix went with its key"
        );
        // A fallback to Unicom, which no running link serves (the config's own check
        // passed with a Unicom link it added, which needs a restart).
        let mut to_unicom = fallback.clone();
        to_unicom
            .routing
            .fallback
            .insert(Carrier::Broadnet, Carrier::Unicom);
        let err = reload.reload(&to_unicom).unwrap_err();
        assert_eq!(err.key, "routing.fallback.broadnet");
        assert_eq!(carrier(&s, "19200192000"), Carrier::Mobile);
    }

    #[test]
    fn at_start_bad_rows_are_in_the_report_and_the_good_ones_taken() {
        let f = Files::new("routing-start");
        let c = f.config("");
        f.write(&format!("{PORTED},telecom\nnot a number,unicom\n"));
        let built = build(&c.routing, &[Carrier::Mobile, Carrier::Telecom]).unwrap();
        let (_, report) = built.portability.as_ref().unwrap();
        assert_eq!((report.imported(), report.rejected.len()), (1, 1));
        assert_eq!(built.router.route(PORTED).unwrap().via, Carrier::Telecom);
        assert!(judge_reload(&built).is_err());
    }
}
