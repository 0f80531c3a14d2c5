//! Fuzz the config loader: any text must load or give an error naming the key at
//! fault, never panic.
#![no_main]

use hongyan::config::{ConfigError, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Ok(_) => {}
        Err(ConfigError::Invalid { key, reason }) => {
            assert!(!key.is_empty(), "the error names the key");
            assert!(!reason.is_empty(), "the error says what is wrong");
        }
        Err(e @ ConfigError::Read { .. }) => panic!("parsing text read a file: {e}"),
    }
});
