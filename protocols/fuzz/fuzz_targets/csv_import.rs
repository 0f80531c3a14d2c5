//! Fuzz the contact CSV reader: any bytes (UTF-8, GBK or neither) must give a plan or
//! a typed error without panicking, and a plan must account for every record — each is
//! a contact, a bad row or merged into an earlier contact, never lost.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use hongyan::contacts::csv_import::parse_csv;
use hongyan::route::Router;
use libfuzzer_sys::fuzz_target;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(Router::default)
}

fuzz_target!(|data: &[u8]| {
    let Ok(plan) = parse_csv(data, router()) else {
        return;
    };
    assert_eq!(
        plan.records,
        plan.rows.len() + plan.bad.len() + plan.merged.len(),
        "every record is a contact, a bad row or merged"
    );
    let mut phones = HashSet::new();
    for row in &plan.rows {
        assert_eq!(
            row.phone.len(),
            11,
            "a normalised mobile number: {:?}",
            row.phone
        );
        assert!(row.phone.bytes().all(|b| b.is_ascii_digit()));
        assert!(phones.insert(row.phone.as_str()), "one row per number");
        assert!(row.line >= 2, "the header is line 1");
    }
    let lines: HashSet<u64> = plan.rows.iter().map(|r| r.line).collect();
    for &(line, first) in &plan.merged {
        assert!(line > first, "merged into an earlier record");
        assert!(
            lines.contains(&first),
            "merged into a contact that is imported"
        );
    }
    for bad in &plan.bad {
        assert!(bad.line >= 2 && !bad.code.is_empty() && !bad.reason.is_empty());
    }
});
