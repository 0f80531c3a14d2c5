//! The sensitive-word check of one message: a 70-character text against a 10,000-word
//! list, the common case (no hit) and a hit near the end. The acceptance bar is
//! 1,000,000 checks per second per core (criterion runs on one thread).
//!
//! `cargo bench --bench sensitive_words`

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hongyan::policy::WordList;

/// Common Han characters, to build words and texts that look like real ones to the
/// automaton (multi-byte, sharing first characters).
const HAN: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研";

/// A deterministic generator: the same list and texts on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

fn word_list(words: usize) -> (String, Vec<String>) {
    let han: Vec<char> = HAN.chars().collect();
    let mut rng = Lcg(20_261_207);
    let mut list = String::new();
    let mut all = Vec::with_capacity(words);
    for i in 0..words {
        let len = 2 + rng.next(3);
        let w: String = (0..len).map(|_| han[rng.next(han.len())]).collect();
        if i % 10 == 0 {
            list.push_str(&format!("{w}\tcat{}\n", i % 7));
        } else {
            list.push_str(&w);
            list.push('\n');
        }
        all.push(w);
    }
    (list, all)
}

/// A 70-character notice with no listed word in it (checked at set-up).
fn clean_text(list: &WordList) -> String {
    let base = "【鸿雁物流】尊敬的客户，您的订单 SF1234567890 已于12月7日09:30由顺丰速运揽收，预计明日送达，请保持电话畅通。";
    let mut text: String = base.chars().cycle().take(70).collect();
    // Replace characters until the text holds no listed word: the bench measures the
    // full scan, the common case of a message that goes.
    let mut rng = Lcg(7);
    while let Some(hit) = list.find(&text) {
        let mut chars: Vec<char> = text.chars().collect();
        chars[hit.start] = ['，', 'A', '1', '。'][rng.next(4)];
        text = chars.into_iter().collect();
    }
    text
}

fn bench(c: &mut Criterion) {
    let (file, words) = word_list(10_000);
    let list = WordList::parse(&file).expect("the generated list parses");
    let text = clean_text(&list);
    assert_eq!(text.chars().count(), 70);
    let mut hit_text: Vec<char> = text.chars().collect();
    let w: Vec<char> = words[4_321].chars().collect();
    // Spread with a space, as an evasion would be.
    hit_text.truncate(70 - w.len() - 1);
    hit_text.push(w[0]);
    hit_text.push(' ');
    hit_text.extend(&w[1..]);
    let hit_text: String = hit_text.into_iter().collect();
    assert!(list.find(&hit_text).is_some());

    let mut g = c.benchmark_group("sensitive_words");
    g.throughput(Throughput::Elements(1));
    g.bench_function("70_chars_10k_words_clean", |b| {
        b.iter(|| black_box(list.find(black_box(&text))))
    });
    g.bench_function("70_chars_10k_words_hit", |b| {
        b.iter(|| black_box(list.find(black_box(&hit_text))))
    });
    g.finish();
    c.bench_function("sensitive_words/compile_10k_words", |b| {
        b.iter(|| black_box(WordList::parse(black_box(&file)).map(|l| l.len())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
