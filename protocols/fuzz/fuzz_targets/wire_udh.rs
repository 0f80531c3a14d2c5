//! Fuzz the UDH parser and the content describer: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((udh, rest)) = wire::udh::Udh::parse(data) {
        let _ = udh.concat();
        assert!(rest.len() < data.len());
    }
    if let Some((&coding, content)) = data.split_first() {
        let _ = wire::describe::content(coding, true, content);
    }
});
