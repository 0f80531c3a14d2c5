//! Long-message segmentation (sms-encoding.md §3): the coding, the signature and the
//! split points of an outbound text, and the exact `Msg_Content` of every segment.
//!
//! * A text that fits one message goes without a UDH (TP_udhi 0, Pk 1/1).
//! * A longer text is cut into the minimum number of segments: characters are
//!   packed greedily, which is optimal because segments are consecutive and every
//!   character fits an empty segment. A cut only ever falls between two characters,
//!   so a UCS-2 surrogate pair (emoji) or a two-byte GBK character is never torn.
//! * A signature ([`SplitOptions::signature`]) is one unbreakable unit: it sits whole
//!   in the first (prefix) or last (suffix) segment, and a suffix never sits alone —
//!   the character before it moves along. The count is then minimal among layouts
//!   that keep the signature whole.
//! * Each segment starts with the concatenation UDH `05 00 03 RR TT SS` or
//!   `06 08 04 RH RL TT SS` ([`ConcatOptions::wide_reference`]), and the UDH plus the
//!   payload never exceeds the link's limit (140 bytes; ASCII: `ascii_max_len`).
//!
//! | Coding | single | segment, 8-bit ref | segment, 16-bit ref |
//! |---|---:|---:|---:|
//! | UCS-2 (8) | 140 B | 134 B | 132 B (133 free, kept even) |
//! | GBK (15), binary (4) | 140 B | 134 B | 133 B |
//! | ASCII (0), `ascii_max_len = L` | L B | L − 6 B | L − 7 B |
//!
//! The protocol crates copy [`Segment::concat`] into CMPP `Pk_total`/`Pk_number`/
//! `TP_udhi`, the SMGP TLVs `TP_udhi`/`PkTotal`/`PkNumber`, and SGIP `TP_udhi`.

use std::ops::Range;

use crate::coding::Coding;
use crate::encode::{CodingPolicy, MAX_CONTENT, encode_text};
use crate::signature::{Signature, compose};
use crate::text_error::TextError;
use crate::udh::Concat;

/// How a link concatenates long messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConcatOptions {
    /// Use the 16-bit reference UDH (`06 08 04 …`) instead of the 8-bit one
    /// (`05 00 03 …`, the default, understood everywhere).
    pub wide_reference: bool,
    /// Most segments one message may take (1–255, default 255: the UDH total is a byte).
    pub max_segments: u8,
}

impl Default for ConcatOptions {
    fn default() -> Self {
        Self {
            wide_reference: false,
            max_segments: u8::MAX,
        }
    }
}

/// Everything [`split`] and [`count`] need to know about a link and a sender.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitOptions {
    /// Coding rules of the link.
    pub policy: CodingPolicy,
    /// Concatenation rules of the link.
    pub concat: ConcatOptions,
    /// The link's or the sender's signature, if any.
    pub signature: Option<Signature>,
}

/// Payload bytes available per message, UDH excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// A message without UDH.
    pub single: usize,
    /// One segment of a long message.
    pub segment: usize,
}

/// One segment, ready for a SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Concatenation info (`None` for a single message): TT/SS/reference for the
    /// Pk fields and TLVs.
    pub concat: Option<Concat>,
    /// Exactly what goes into `Msg_Content`: UDH (if any) then the payload.
    pub content: Vec<u8>,
    /// The text this segment carries (empty for binary).
    pub text: String,
}

impl Segment {
    /// TP_udhi to send: 1 when the content starts with a UDH, else 0.
    pub fn tp_udhi(&self) -> u8 {
        u8::from(self.concat.is_some())
    }

    /// CMPP `Pk_total` / SMGP `PkTotal`: 1 for a single message.
    pub fn pk_total(&self) -> u8 {
        self.concat.map_or(1, |c| c.total)
    }

    /// CMPP `Pk_number` / SMGP `PkNumber`: 1 for a single message.
    pub fn pk_number(&self) -> u8 {
        self.concat.map_or(1, |c| c.number)
    }

    /// The content after the UDH.
    pub fn payload(&self) -> &[u8] {
        let skip = self.concat.map_or(0, |c| Concat::header_len(c.wide));
        self.content.get(skip..).unwrap_or_default()
    }
}

/// A message cut into segments, all in the same coding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Msg_Fmt / MsgFormat / MessageCoding of every segment.
    pub coding: Coding,
    /// Segments in order; `segments[i]` is number `i + 1`.
    pub segments: Vec<Segment>,
}

impl Split {
    /// Put another reference into every segment's UDH, e.g. to send one split to
    /// many recipients, each with its own reference. Masked to 8 bits for the 8-bit
    /// UDH.
    pub fn set_reference(&mut self, reference: u16) {
        for seg in &mut self.segments {
            if let Some(c) = seg.concat.as_mut() {
                c.reference = if c.wide { reference } else { reference & 0xff };
                let header = c.to_bytes();
                if let Some(h) = seg.content.get_mut(..header.len()) {
                    h.copy_from_slice(&header);
                }
            }
        }
    }
}

/// What a text will cost, computed without building the segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    /// Coding the text will go out in.
    pub coding: Coding,
    /// Segments needed (billed); may exceed the link's `max_segments`, which makes
    /// [`split`] fail.
    pub segments: usize,
    /// Characters billed, signature included (also when the carrier adds it).
    pub chars: usize,
    /// Payload bytes billed, UDH excluded.
    pub bytes: usize,
    /// Payload capacity of one segment in this layout (the single-message capacity
    /// when `segments` is 1).
    pub per_segment: usize,
    /// Payload bytes still free in the last segment.
    pub remaining: usize,
}

/// Payload capacity of a message in `coding` under `policy` and UDH form.
pub fn capacity(coding: Coding, policy: &CodingPolicy, wide_reference: bool) -> Capacity {
    let udh = Concat::header_len(wide_reference);
    match coding {
        Coding::Ascii => {
            let single = policy.ascii_max_len;
            Capacity {
                single,
                segment: single.saturating_sub(udh).max(1),
            }
        }
        // UTF-16 units are two bytes: an odd free byte stays unused.
        Coding::Ucs2 => Capacity {
            single: MAX_CONTENT,
            segment: (MAX_CONTENT - udh) & !1,
        },
        Coding::Gbk | Coding::Binary | Coding::SimWrite | Coding::Other(_) => Capacity {
            single: MAX_CONTENT,
            segment: MAX_CONTENT - udh,
        },
    }
}

/// Split `text` for a link: signature, coding, segments with their UDH.
///
/// `reference` is used only when the text needs more than one segment (take it from
/// a [`crate::reference::ReferenceAllocator`], or call [`count`] first and skip the
/// allocation for a single message); the 8-bit UDH uses its low byte.
pub fn split(text: &str, opts: &SplitOptions, reference: u16) -> Result<Split, TextError> {
    let plan = Plan::new(text, opts)?;
    let total = plan.pieces.len();
    let max = usize::from(opts.concat.max_segments);
    if total > max {
        return Err(TextError::TooManySegments { needed: total, max });
    }
    let total_u8 =
        u8::try_from(total).map_err(|_| TextError::TooManySegments { needed: total, max })?;
    let sent_bytes = plan.sent_bytes();
    let mut segments = Vec::with_capacity(total);
    for (number, piece) in (1..=total_u8).zip(&plan.pieces) {
        let text_range = intersect(&piece.text, &plan.sent);
        let byte_range = intersect(&piece.bytes, &sent_bytes);
        if total > 1 && text_range.is_empty() {
            let chars = opts
                .signature
                .as_ref()
                .map_or(0, |s| s.text.chars().count());
            return Err(TextError::SignatureTooLong {
                segment: usize::from(number),
                chars,
            });
        }
        let concat = (total > 1).then_some(concat_for(
            opts.concat.wide_reference,
            reference,
            total_u8,
            number,
        ));
        let payload = plan.encoded.get(byte_range).unwrap_or_default();
        let mut content = concat.map(|c| c.to_bytes()).unwrap_or_default();
        content.extend_from_slice(payload);
        let text = plan.full.get(text_range).unwrap_or_default().to_owned();
        segments.push(Segment {
            concat,
            content,
            text,
        });
    }
    Ok(Split {
        coding: plan.coding,
        segments,
    })
}

/// How many segments `text` takes on a link, and in which coding — the cost shown
/// to staff before sending. Agrees with [`split`] whenever `split` succeeds.
pub fn count(text: &str, opts: &SplitOptions) -> Result<SegmentCount, TextError> {
    let plan = Plan::new(text, opts)?;
    let segments = plan.pieces.len();
    let per_segment = if segments > 1 {
        plan.capacity.segment
    } else {
        plan.capacity.single
    };
    let last = plan.pieces.last().map_or(0, |p| p.bytes.len());
    Ok(SegmentCount {
        coding: plan.coding,
        segments,
        chars: plan.full.chars().count(),
        bytes: plan.encoded.len(),
        per_segment,
        remaining: per_segment.saturating_sub(last),
    })
}

/// Split binary content (coding 4): up to 140 bytes go whole and untouched, longer
/// payloads in 134 / 133-byte segments behind a concatenation UDH. The payload must
/// not carry a UDH of its own.
pub fn split_binary(
    data: &[u8],
    concat: &ConcatOptions,
    reference: u16,
) -> Result<Split, TextError> {
    if concat.max_segments == 0 {
        return Err(TextError::InvalidOptions("max_segments must be at least 1"));
    }
    let cap = capacity(
        Coding::Binary,
        &CodingPolicy::default(),
        concat.wide_reference,
    );
    if data.len() <= cap.single {
        let segment = Segment {
            concat: None,
            content: data.to_vec(),
            text: String::new(),
        };
        return Ok(Split {
            coding: Coding::Binary,
            segments: vec![segment],
        });
    }
    let total = data.len().div_ceil(cap.segment);
    let max = usize::from(concat.max_segments);
    let total_u8 = u8::try_from(total).ok().filter(|&t| usize::from(t) <= max);
    let Some(total_u8) = total_u8 else {
        return Err(TextError::TooManySegments { needed: total, max });
    };
    let segments = (1..=total_u8)
        .zip(data.chunks(cap.segment))
        .map(|(number, chunk)| {
            let c = concat_for(concat.wide_reference, reference, total_u8, number);
            let mut content = c.to_bytes();
            content.extend_from_slice(chunk);
            Segment {
                concat: Some(c),
                content,
                text: String::new(),
            }
        })
        .collect();
    Ok(Split {
        coding: Coding::Binary,
        segments,
    })
}

/// A text prepared for splitting: composed with its signature, encoded, cut.
struct Plan<'a> {
    full: std::borrow::Cow<'a, str>,
    /// Byte range of `full` we send (all of it unless the carrier adds the signature).
    sent: Range<usize>,
    coding: Coding,
    encoded: Vec<u8>,
    capacity: Capacity,
    pieces: Vec<Piece>,
}

/// One segment's share of the text and of the encoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    text: Range<usize>,
    bytes: Range<usize>,
}

impl<'a> Plan<'a> {
    fn new(text: &'a str, opts: &SplitOptions) -> Result<Self, TextError> {
        if opts.concat.max_segments == 0 {
            return Err(TextError::InvalidOptions("max_segments must be at least 1"));
        }
        let composed = compose(text, opts.signature.as_ref());
        let (coding, encoded) = encode_text(&composed.full, &opts.policy)?;
        let capacity = capacity(coding, &opts.policy, opts.concat.wide_reference);
        let pieces = layout(
            &composed.full,
            coding,
            &encoded,
            capacity,
            composed.signature.clone(),
        );
        let limit = if pieces.len() > 1 {
            capacity.segment
        } else {
            capacity.single
        };
        if let Some(i) = pieces.iter().position(|p| p.bytes.len() > limit) {
            // Only an unbreakable signature can overflow a segment.
            let chars = opts
                .signature
                .as_ref()
                .map_or(0, |s| s.text.chars().count());
            return Err(TextError::SignatureTooLong {
                segment: i + 1,
                chars,
            });
        }
        Ok(Self {
            full: composed.full,
            sent: composed.sent,
            coding,
            encoded,
            capacity,
            pieces,
        })
    }

    /// The encoded byte range matching `sent`.
    fn sent_bytes(&self) -> Range<usize> {
        let len = self.encoded.len();
        if self.sent == (0..self.full.len()) {
            return 0..len;
        }
        let (mut start, mut end) = (len, len);
        let mut at = 0;
        for (s, c) in self.full.char_indices() {
            if s == self.sent.start {
                start = at;
            }
            if s == self.sent.end {
                end = at;
            }
            at += char_width(c, self.coding, &self.encoded, at);
        }
        start..end.max(start)
    }
}

/// Greedy packing of characters into segments (minimal: see the module docs). The
/// signature, if any, is one unbreakable unit so it lands whole in the first or the
/// last segment.
fn layout(
    full: &str,
    coding: Coding,
    encoded: &[u8],
    cap: Capacity,
    signature: Option<Range<usize>>,
) -> Vec<Piece> {
    if encoded.len() <= cap.single {
        return vec![Piece {
            text: 0..full.len(),
            bytes: 0..encoded.len(),
        }];
    }
    let group = signature.clone().unwrap_or(0..0);
    let mut packer = Packer::new(cap.segment, encoded.len());
    // The unit being built: (text offset, byte offset, width); a signature's
    // characters all join the unit of its first character.
    let mut unit: Option<Unit> = None;
    let mut at = 0;
    for (s, c) in full.char_indices() {
        let width = char_width(c, coding, encoded, at);
        if s > group.start && s < group.end {
            if let Some(u) = unit.as_mut() {
                u.width += width;
            }
        } else if let Some(done) = unit.replace(Unit {
            text: s,
            byte: at,
            width,
        }) {
            packer.add(done);
        }
        at += width;
    }
    if let Some(done) = unit {
        packer.add(done);
    }
    packer.finish(full, coding, signature)
}

/// A character, or a whole signature, as laid out.
#[derive(Debug, Clone, Copy)]
struct Unit {
    text: usize,
    byte: usize,
    width: usize,
}

/// The greedy packer behind [`layout`].
struct Packer {
    segment: usize,
    pieces: Vec<Piece>,
    text_start: usize,
    byte_start: usize,
    end: usize,
}

impl Packer {
    fn new(segment: usize, bytes: usize) -> Self {
        let pieces = Vec::with_capacity(bytes / segment.max(1) + 1);
        Self {
            segment,
            pieces,
            text_start: 0,
            byte_start: 0,
            end: 0,
        }
    }

    #[inline]
    fn add(&mut self, u: Unit) {
        if u.byte + u.width - self.byte_start > self.segment && u.byte > self.byte_start {
            self.pieces.push(Piece {
                text: self.text_start..u.text,
                bytes: self.byte_start..u.byte,
            });
            self.text_start = u.text;
            self.byte_start = u.byte;
        }
        self.end = u.byte + u.width;
    }

    fn finish(mut self, full: &str, coding: Coding, signature: Option<Range<usize>>) -> Vec<Piece> {
        self.pieces.push(Piece {
            text: self.text_start..full.len(),
            bytes: self.byte_start..self.end,
        });
        // A suffix signature alone in the last segment: move the character before it
        // along, so the last segment carries text (and the carrier has a text to
        // append to). The count does not change.
        let Some(sig) = signature else {
            return self.pieces;
        };
        if sig.end != full.len() || self.text_start != sig.start {
            return self.pieces;
        }
        let Some((s, c)) = full
            .get(..sig.start)
            .and_then(|t| t.char_indices().next_back())
        else {
            return self.pieces;
        };
        let width = encoded_len(c, coding);
        let sig_width = self.end - self.byte_start;
        if width + sig_width <= self.segment {
            if let [.., prev, last] = self.pieces.as_mut_slice() {
                if prev.text.start < s && prev.bytes.end >= width {
                    prev.text.end = s;
                    prev.bytes.end -= width;
                    last.text.start = s;
                    last.bytes.start = prev.bytes.end;
                }
            }
        }
        self.pieces
    }
}

/// Encoded length of one character on its own.
fn encoded_len(c: char, coding: Coding) -> usize {
    match coding {
        Coding::Gbk if !c.is_ascii() => encoding_rs::GBK.encode(c.encode_utf8(&mut [0; 4])).0.len(),
        _ => char_width(c, coding, &[], 0),
    }
}

/// Encoded width of `c`, which starts at `at` in `encoded`.
#[inline]
fn char_width(c: char, coding: Coding, encoded: &[u8], at: usize) -> usize {
    match coding {
        Coding::Ucs2 => c.len_utf16() * 2,
        // GBK: ASCII and 0x80 (€) are one byte, every other lead byte starts a pair.
        Coding::Gbk if !c.is_ascii() => match encoded.get(at) {
            Some(0x80) => 1,
            _ => 2,
        },
        Coding::Gbk => 1,
        Coding::Ascii | Coding::Binary | Coding::SimWrite | Coding::Other(_) => c.len_utf8(),
    }
}

/// The concatenation element of segment `number`; the 8-bit form keeps the low byte
/// of the reference.
fn concat_for(wide: bool, reference: u16, total: u8, number: u8) -> Concat {
    let reference = if wide { reference } else { reference & 0xff };
    Concat {
        reference,
        wide,
        total,
        number,
    }
}

fn intersect(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    let start = a.start.max(b.start);
    start..a.end.min(b.end).max(start)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::encode::CodingUse;
    use crate::signature::SignaturePosition;

    fn opts() -> SplitOptions {
        SplitOptions::default()
    }

    #[test]
    fn capacities_match_the_reference_table() {
        let p = CodingPolicy::default();
        assert_eq!(
            capacity(Coding::Ucs2, &p, false),
            Capacity {
                single: 140,
                segment: 134
            }
        );
        assert_eq!(
            capacity(Coding::Ucs2, &p, true),
            Capacity {
                single: 140,
                segment: 132
            }
        );
        assert_eq!(
            capacity(Coding::Binary, &p, true),
            Capacity {
                single: 140,
                segment: 133
            }
        );
        let cmpp7 = CodingPolicy {
            ascii_max_len: 159,
            ..p
        };
        assert_eq!(
            capacity(Coding::Ascii, &cmpp7, false),
            Capacity {
                single: 159,
                segment: 153
            }
        );
        assert_eq!(
            capacity(Coding::Ascii, &cmpp7, true),
            Capacity {
                single: 159,
                segment: 152
            }
        );
    }

    #[test]
    fn seventy_chinese_characters_are_one_message_seventy_one_are_two() {
        let s = split(&"好".repeat(70), &opts(), 1).unwrap();
        assert_eq!(s.segments.len(), 1);
        assert_eq!(s.segments[0].concat, None);
        assert_eq!(s.segments[0].content.len(), 140);
        assert_eq!(
            (
                s.segments[0].tp_udhi(),
                s.segments[0].pk_total(),
                s.segments[0].pk_number()
            ),
            (0, 1, 1)
        );
        let s = split(&"好".repeat(71), &opts(), 1).unwrap();
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[0].text.chars().count(), 67);
        assert_eq!(s.segments[1].text.chars().count(), 4);
        assert_eq!(
            (
                s.segments[1].tp_udhi(),
                s.segments[1].pk_total(),
                s.segments[1].pk_number()
            ),
            (1, 2, 2)
        );
    }

    #[test]
    fn emoji_is_never_torn() {
        // 66 CJK characters fill 132 bytes; the emoji (4 bytes) would end at 136 > 134.
        let text = format!("{}😀{}", "好".repeat(66), "好".repeat(10));
        let s = split(&text, &opts(), 7).unwrap();
        assert_eq!(s.segments[0].payload().len(), 132);
        assert!(s.segments[1].text.starts_with('😀'));
    }

    #[test]
    fn wide_reference_ucs2_segments_stay_even() {
        let o = SplitOptions {
            concat: ConcatOptions {
                wide_reference: true,
                ..Default::default()
            },
            ..opts()
        };
        let s = split(&"好".repeat(140), &o, 0x1234).unwrap();
        assert_eq!(s.segments.len(), 3); // 66 + 66 + 8
        assert_eq!(s.segments[0].content.len(), 139);
        assert_eq!(
            &s.segments[0].content[..7],
            &[0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x01]
        );
    }

    #[test]
    fn eight_bit_reference_uses_the_low_byte() {
        let s = split(&"好".repeat(71), &opts(), 0x1234).unwrap();
        assert_eq!(
            &s.segments[0].content[..6],
            &[0x05, 0x00, 0x03, 0x34, 0x02, 0x01]
        );
        assert_eq!(s.segments[0].concat.map(|c| c.reference), Some(0x34));
    }

    #[test]
    fn set_reference_rewrites_every_header() {
        let mut s = split(&"好".repeat(71), &opts(), 1).unwrap();
        s.set_reference(0x99);
        for seg in &s.segments {
            assert_eq!(seg.content[3], 0x99);
            assert_eq!(seg.concat.map(|c| c.reference), Some(0x99));
        }
    }

    #[test]
    fn ascii_long_when_enabled() {
        let o = SplitOptions {
            policy: CodingPolicy {
                ascii: CodingUse::Always,
                ascii_max_len: 159,
                ..Default::default()
            },
            ..opts()
        };
        let s = split(&"a".repeat(306), &o, 1).unwrap();
        assert_eq!(s.coding, Coding::Ascii);
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[0].content.len(), 159);
        // By default the same text is UCS-2: 306 / 67 → 5 segments.
        assert_eq!(
            split(&"a".repeat(306), &opts(), 1).unwrap().segments.len(),
            5
        );
    }

    #[test]
    fn gbk_long_split_keeps_pairs_whole() {
        let o = SplitOptions {
            policy: CodingPolicy {
                gbk: CodingUse::Always,
                ..Default::default()
            },
            ..opts()
        };
        // One ASCII byte first puts every 2-byte character on an odd offset.
        let text = format!("a{}", "汉".repeat(100));
        let s = split(&text, &o, 1).unwrap();
        assert_eq!(s.coding, Coding::Gbk);
        assert_eq!(s.segments[0].payload().len(), 133); // 1 + 66*2, the next pair does not fit 134
        let joined: String = s.segments.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn too_many_segments() {
        let o = SplitOptions {
            concat: ConcatOptions {
                max_segments: 2,
                ..Default::default()
            },
            ..opts()
        };
        assert_eq!(
            split(&"好".repeat(135), &o, 1),
            Err(TextError::TooManySegments { needed: 3, max: 2 })
        );
        assert_eq!(count(&"好".repeat(135), &o).unwrap().segments, 3);
        let o = SplitOptions {
            concat: ConcatOptions {
                max_segments: 0,
                ..Default::default()
            },
            ..opts()
        };
        assert!(matches!(
            split("x", &o, 1),
            Err(TextError::InvalidOptions(_))
        ));
    }

    #[test]
    fn empty_text_is_one_empty_message() {
        let s = split("", &opts(), 1).unwrap();
        assert_eq!(s.segments.len(), 1);
        assert!(s.segments[0].content.is_empty());
    }

    #[test]
    fn count_reports_remaining_room() {
        let c = count(&"好".repeat(71), &opts()).unwrap();
        assert_eq!(
            (
                c.coding,
                c.segments,
                c.chars,
                c.bytes,
                c.per_segment,
                c.remaining
            ),
            (Coding::Ucs2, 2, 71, 142, 134, 126)
        );
        let c = count("hello", &opts()).unwrap();
        assert_eq!(
            (c.coding, c.segments, c.per_segment, c.remaining),
            (Coding::Ascii, 1, 140, 135)
        );
    }

    #[test]
    fn our_signature_counts_and_appears_once() {
        let sig = Signature::new("【鸿雁物流】", SignaturePosition::Suffix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        // 64 + 6 = 70: still one message.
        let s = split(&"好".repeat(64), &o, 1).unwrap();
        assert_eq!(s.segments.len(), 1);
        assert!(s.segments[0].text.ends_with("【鸿雁物流】"));
        // 65 + 6 = 71: two, the signature in the last one.
        let s = split(&"好".repeat(65), &o, 1).unwrap();
        assert_eq!(s.segments.len(), 2);
        assert!(s.segments[1].text.ends_with("【鸿雁物流】"));
        assert!(!s.segments[0].text.contains('【'));
    }

    #[test]
    fn carrier_signature_reserves_room_and_is_not_sent() {
        let sig = Signature::by_carrier("【鸿雁物流】", SignaturePosition::Suffix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        // 65 characters would fit one message alone, but the carrier adds 6.
        let s = split(&"好".repeat(65), &o, 1).unwrap();
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[1].text, "好");
        assert!(s.segments.iter().all(|g| !g.text.contains('【')));
        // The carrier's 12 bytes fit the last segment: 6 + 2 + 12 ≤ 140.
        assert_eq!(s.segments[1].content.len(), 6 + 2);
        assert_eq!(s.segments[0].text.chars().count(), 64);
        assert_eq!(count(&"好".repeat(65), &o).unwrap().segments, 2);
        // A prefix signature leaves room in the first segment.
        let o = SplitOptions {
            signature: Some(Signature::by_carrier(
                "【鸿雁物流】",
                SignaturePosition::Prefix,
            )),
            ..opts()
        };
        let s = split(&"好".repeat(65), &o, 1).unwrap();
        assert_eq!(s.segments[0].text.chars().count(), 61);
        assert_eq!(s.segments[0].content.len(), 6 + 122);
    }

    #[test]
    fn signature_too_big_for_a_segment_is_an_error() {
        // 69 + 2 characters: a long message, and the signature alone needs 138 > 134 bytes.
        let sig = Signature::by_carrier("签".repeat(69), SignaturePosition::Prefix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        assert_eq!(
            split("你好", &o, 1),
            Err(TextError::SignatureTooLong {
                segment: 1,
                chars: 69
            })
        );
        // 67 characters fill the first segment: the carrier would get nothing of ours.
        let sig = Signature::by_carrier("签".repeat(67), SignaturePosition::Prefix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        assert_eq!(
            split(&"你".repeat(10), &o, 1),
            Err(TextError::SignatureTooLong {
                segment: 1,
                chars: 67
            })
        );
        // Ours is kept whole too.
        let sig = Signature::new("签".repeat(69), SignaturePosition::Suffix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        assert!(matches!(
            split("你好", &o, 1),
            Err(TextError::SignatureTooLong { .. })
        ));
    }

    #[test]
    fn signature_is_never_torn_across_segments() {
        // 62 + 6: one message. 62 + 6 + 5 = 73 → two; the prefix sits whole in the first.
        let sig = Signature::new("【鸿雁物流】", SignaturePosition::Prefix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        let s = split(&"好".repeat(67), &o, 1).unwrap();
        assert!(s.segments[0].text.starts_with("【鸿雁物流】"));
        // Suffix: 67 + 64 characters leave 6 bytes in segment 2, the signature needs 12;
        // one character moves along with it into segment 3.
        let sig = Signature::new("【鸿雁物流】", SignaturePosition::Suffix);
        let o = SplitOptions {
            signature: Some(sig),
            ..opts()
        };
        let s = split(&"好".repeat(131), &o, 1).unwrap();
        assert_eq!(s.segments.len(), 3);
        assert!(s.segments[2].text.ends_with("【鸿雁物流】"));
        assert!(
            s.segments[..2]
                .iter()
                .all(|g| !g.text.contains('】') && !g.text.contains('【'))
        );
    }

    #[test]
    fn binary_passes_through_or_splits() {
        let data: Vec<u8> = (0..=255u8).collect();
        let s = split_binary(&data[..140], &ConcatOptions::default(), 5).unwrap();
        assert_eq!(s.coding, Coding::Binary);
        assert_eq!(s.segments.len(), 1);
        assert_eq!(s.segments[0].content, &data[..140]);
        let s = split_binary(
            &data,
            &ConcatOptions {
                wide_reference: true,
                max_segments: 255,
            },
            5,
        )
        .unwrap();
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[0].payload(), &data[..133]);
        assert_eq!(s.segments[1].payload(), &data[133..]);
        let joined: Vec<u8> = s
            .segments
            .iter()
            .flat_map(|g| g.payload().to_vec())
            .collect();
        assert_eq!(joined, data);
        let cap = ConcatOptions {
            max_segments: 1,
            ..Default::default()
        };
        assert_eq!(
            split_binary(&data, &cap, 5),
            Err(TextError::TooManySegments { needed: 2, max: 1 })
        );
    }
}
