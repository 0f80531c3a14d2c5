//! Fuzz the approval reply parser: any text must give an answer without panicking,
//! a comment is always a trimmed, non-empty piece of the text, and a reply that asks
//! (a question mark anywhere) never decides.
#![no_main]

use hongyan::replies::{Reply, parse_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reply = parse_reply(text);
    if let Some(comment) = reply.comment() {
        assert!(!comment.is_empty());
        assert!(text.contains(comment), "the comment comes from the text");
        assert_eq!(comment.trim(), comment, "the comment is trimmed");
    }
    if text.contains(['?', '？']) {
        assert_eq!(reply, Reply::Unclear, "a question never decides");
    }
});
