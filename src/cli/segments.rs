//! `hongyan segments`: how a text will go out — coding, number of segments (and so
//! the cost) and each segment's text — and, with `--protocol P --hex`, the exact
//! SUBMIT PDUs a link would send, which `hongyan decode` reads back.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};
use wire::encode::{CodingPolicy, CodingUse, is_gsm_ascii};
use wire::segment::{ConcatOptions, Split, SplitOptions, split};
use wire::signature::{Signature, SignaturePosition};
use wire::text_error::TextError;

use super::decode::Protocol;

/// `--coding`: which coding the text goes out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CodingChoice {
    /// ASCII for a GSM-safe ASCII text that fits one message, UCS-2 otherwise.
    Auto,
    /// Always UCS-2.
    Ucs2,
    /// GBK; a character GBK cannot hold is an error.
    Gbk,
    /// ASCII, also for long messages; a non-ASCII character is an error.
    Ascii,
}

/// Everything `hongyan segments` was asked.
#[derive(Debug, Clone)]
pub struct Request {
    /// The message text.
    pub text: String,
    /// Coding choice.
    pub coding: CodingChoice,
    /// Signature such as `【鸿雁物流】`.
    pub signature: Option<String>,
    /// Put the signature at the end instead of the start.
    pub signature_at_end: bool,
    /// The carrier adds the signature itself: reserve its room, do not send it.
    pub carrier_signature: bool,
    /// Use the 16-bit reference UDH.
    pub wide_udh: bool,
    /// Concatenation reference number to write into the UDH.
    pub reference: u16,
}

impl Request {
    /// The split options this request stands for.
    pub fn options(&self) -> SplitOptions {
        let mut policy = CodingPolicy::default();
        match self.coding {
            CodingChoice::Auto => {}
            CodingChoice::Ucs2 => policy.ascii = CodingUse::Never,
            CodingChoice::Gbk => {
                policy.ascii = CodingUse::Never;
                policy.gbk = CodingUse::Always;
            }
            CodingChoice::Ascii => policy.ascii = CodingUse::Always,
        }
        let signature = self.signature.as_ref().map(|s| Signature {
            text: s.clone(),
            position: if self.signature_at_end {
                SignaturePosition::Suffix
            } else {
                SignaturePosition::Prefix
            },
            added_by_carrier: self.carrier_signature,
        });
        SplitOptions {
            policy,
            concat: ConcatOptions {
                wide_reference: self.wide_udh,
                ..Default::default()
            },
            signature,
        }
    }

    /// Split the text as a link with these options would.
    pub fn split(&self) -> Result<Split, TextError> {
        if self.coding == CodingChoice::Ascii {
            // The default policy would quietly fall back to UCS-2; a forced ASCII must not.
            let body = self
                .text
                .chars()
                .chain(self.signature.iter().flat_map(|s| s.chars()));
            if let Some((index, ch)) = body.enumerate().find(|(_, c)| !is_gsm_ascii(*c)) {
                return Err(TextError::NotAscii { ch, index });
            }
        }
        split(&self.text, &self.options(), self.reference)
    }
}

/// A human-readable summary of a split.
pub fn render_text(split: &Split) -> String {
    let mut out = String::new();
    let n = split.segments.len();
    let chars: usize = split.segments.iter().map(|s| s.text.chars().count()).sum();
    let bytes: usize = split.segments.iter().map(|s| s.payload().len()).sum();
    let _ = writeln!(
        out,
        "coding:   {} (Msg_Fmt {})",
        split.coding.name(),
        split.coding.as_u8()
    );
    let _ = writeln!(
        out,
        "segments: {n} ({chars} characters sent, {bytes} bytes of text)"
    );
    for seg in &split.segments {
        let udh = seg.concat.map(|c| wire::hex::encode(&c.to_bytes()));
        let _ = writeln!(
            out,
            "{:>3}/{n} {:>3} bytes{} {}",
            seg.pk_number(),
            seg.content.len(),
            udh.map(|h| format!(" udh {h}")).unwrap_or_default(),
            seg.text
        );
    }
    out
}

/// A split as JSON (`--json`).
pub fn render_json(split: &Split) -> Value {
    json!({
        "coding": split.coding.name(),
        "msg_fmt": split.coding.as_u8(),
        "segments": split.segments.len(),
        "parts": split.segments.iter().map(|s| json!({
            "number": s.pk_number(),
            "total": s.pk_total(),
            "tp_udhi": s.tp_udhi(),
            "udh": s.concat.map(|c| wire::hex::encode(&c.to_bytes())),
            "reference": s.concat.map(|c| c.reference),
            "length": s.content.len(),
            "content_hex": wire::hex::encode(&s.content),
            "text": s.text,
        })).collect::<Vec<_>>(),
    })
}

/// Addressing for the SUBMIT PDUs printed by `--hex`.
#[derive(Debug, Clone)]
pub struct Addressing {
    /// Source number: service code plus extension.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Service id / service type.
    pub service_id: String,
    /// SP id (CMPP Msg_src, SGIP corp id).
    pub sp_id: String,
}

/// Why the SUBMIT PDUs could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A value does not fit its field.
    #[error("{0}")]
    Encode(#[from] wire::EncodeError),
}

/// The SUBMIT PDUs (one per segment) a link of `protocol` would send for `split`.
pub fn submits(
    protocol: Protocol,
    split: &Split,
    addr: &Addressing,
) -> Result<Vec<Bytes>, BuildError> {
    let mut out = Vec::with_capacity(split.segments.len());
    for (i, seg) in split.segments.iter().enumerate() {
        let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut buf = BytesMut::new();
        match protocol {
            Protocol::Cmpp2 | Protocol::Cmpp3 => {
                let version = if protocol == Protocol::Cmpp2 {
                    cmpp::Version::V20
                } else {
                    cmpp::Version::V30
                };
                let mut submit = cmpp::Submit {
                    registered_delivery: 1,
                    service_id: wire::Octets::for_field(
                        "CMPP_SUBMIT",
                        "Service_Id",
                        addr.service_id.as_bytes(),
                    )?,
                    fee_user_type: 2,
                    msg_src: wire::Octets::for_field(
                        "CMPP_SUBMIT",
                        "Msg_src",
                        addr.sp_id.as_bytes(),
                    )?,
                    fee_type: wire::Octets::for_field("CMPP_SUBMIT", "FeeType", b"01")?,
                    fee_code: wire::Octets::for_field("CMPP_SUBMIT", "FeeCode", b"000000")?,
                    src_id: wire::Octets::for_field("CMPP_SUBMIT", "Src_Id", addr.from.as_bytes())?,
                    dest_terminal_ids: cmpp::DestTerminalIds::from_numbers([addr.to.as_str()])?,
                    ..Default::default()
                };
                submit.set_segment(split.coding, seg);
                cmpp::Pdu::new(seq, cmpp::Body::Submit(submit)).encode(version, &mut buf)?;
            }
            Protocol::Smgp => {
                let mut submit = smgp::Submit {
                    need_report: 1,
                    service_id: wire::Octets::for_field(
                        "SMGP_SUBMIT",
                        "ServiceID",
                        addr.service_id.as_bytes(),
                    )?,
                    fee_type: wire::Octets::for_field("SMGP_SUBMIT", "FeeType", b"00")?,
                    fee_code: wire::Octets::for_field("SMGP_SUBMIT", "FeeCode", b"000000")?,
                    fixed_fee: wire::Octets::for_field("SMGP_SUBMIT", "FixedFee", b"000000")?,
                    src_term_id: wire::Octets::for_field(
                        "SMGP_SUBMIT",
                        "SrcTermID",
                        addr.from.as_bytes(),
                    )?,
                    dest_term_ids: vec![wire::Octets::for_field(
                        "SMGP_SUBMIT",
                        "DestTermID",
                        addr.to.as_bytes(),
                    )?],
                    ..Default::default()
                };
                submit.set_segment(split.coding, seg);
                smgp::Pdu::new(seq, smgp::Body::Submit(submit))
                    .encode(smgp::Version::V30, &mut buf)?;
            }
            Protocol::Sgip => {
                let to = if addr.to.starts_with("86") {
                    addr.to.clone()
                } else {
                    format!("86{}", addr.to)
                };
                let mut submit = sgip::Submit {
                    sp_number: wire::Octets::for_field(
                        "SGIP_SUBMIT",
                        "SPNumber",
                        addr.from.as_bytes(),
                    )?,
                    user_numbers: sgip::UserNumbers::parse(&[to.as_str()])?,
                    corp_id: wire::Octets::for_field(
                        "SGIP_SUBMIT",
                        "CorpId",
                        addr.sp_id
                            .as_bytes()
                            .get(..5)
                            .unwrap_or(addr.sp_id.as_bytes()),
                    )?,
                    service_type: wire::Octets::for_field(
                        "SGIP_SUBMIT",
                        "ServiceType",
                        addr.service_id.as_bytes(),
                    )?,
                    report_flag: 1,
                    ..Default::default()
                };
                submit.set_segment(split.coding, seg);
                let seq = sgip::SequenceNumber::new(0, sgip::Timestamp::default(), seq);
                sgip::Pdu::new(seq, sgip::Body::Submit(submit)).encode(&mut buf)?;
            }
        }
        out.push(buf.freeze());
    }
    Ok(out)
}

/// Concatenation UDH form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum UdhBits {
    /// 8-bit reference: 05 00 03 RR TT SS.
    #[value(name = "8")]
    Eight,
    /// 16-bit reference: 06 08 04 RH RL TT SS.
    #[value(name = "16")]
    Sixteen,
}

#[derive(Debug, clap::Args)]
pub(super) struct SegmentsArgs {
    /// Coding of the text.
    #[arg(long, value_enum, default_value_t = CodingChoice::Auto)]
    coding: CodingChoice,
    /// Signature, e.g. 【鸿雁物流】; added once, at the start unless --signature-at-end.
    #[arg(long)]
    signature: Option<String>,
    /// Put the signature at the end of the text.
    #[arg(long)]
    signature_at_end: bool,
    /// The carrier adds the signature itself: reserve its room but do not send it.
    #[arg(long)]
    carrier_signature: bool,
    /// Concatenation UDH: 8-bit (05 00 03) or 16-bit (06 08 04) reference.
    #[arg(long, value_enum, default_value_t = UdhBits::Eight)]
    udh: UdhBits,
    /// Reference number written into the UDH.
    #[arg(long, default_value_t = 1)]
    reference: u16,
    /// Print JSON instead of the summary.
    #[arg(long, conflicts_with = "hex")]
    json: bool,
    /// Print the SUBMIT PDUs in hex, one per line (needs --protocol).
    #[arg(long, requires = "protocol")]
    hex: bool,
    /// Protocol of the SUBMIT PDUs printed by --hex.
    #[arg(long, short)]
    protocol: Option<Protocol>,
    /// Source number (service code + extension) for --hex.
    #[arg(long, default_value = "1069012388")]
    from: String,
    /// Recipient for --hex.
    #[arg(long, default_value = "13800138000")]
    to: String,
    /// Service id (CMPP/SMGP) or service type (SGIP) for --hex.
    #[arg(long, default_value = "HONGYAN")]
    service_id: String,
    /// SP id (CMPP Msg_src, SGIP corp id) for --hex.
    #[arg(long, default_value = "901234")]
    sp_id: String,
    /// The message text.
    text: String,
}

/// Runs `hongyan segments`: the summary, `--json`, or with `--hex` the SUBMIT PDUs.
pub(super) fn run(args: SegmentsArgs) -> anyhow::Result<ExitCode> {
    let request = Request {
        text: args.text,
        coding: args.coding,
        signature: args.signature,
        signature_at_end: args.signature_at_end,
        carrier_signature: args.carrier_signature,
        wide_udh: args.udh == UdhBits::Sixteen,
        reference: args.reference,
    };
    let split = request.split().context("cannot split the text")?;
    let mut stdout = std::io::stdout().lock();
    match (args.hex, args.protocol) {
        (true, Some(protocol)) => {
            let addr = Addressing {
                from: args.from,
                to: args.to,
                service_id: args.service_id,
                sp_id: args.sp_id,
            };
            for pdu in submits(protocol, &split, &addr)? {
                writeln!(stdout, "{}", wire::hex::encode(&pdu))?;
            }
        }
        _ if args.json => {
            let json = render_json(&split);
            writeln!(stdout, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        _ => write!(stdout, "{}", render_text(&split))?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use wire::coding::Coding;

    const EXAMPLE: &str = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";

    fn request(text: &str) -> Request {
        Request {
            text: text.into(),
            coding: CodingChoice::Auto,
            signature: None,
            signature_at_end: false,
            carrier_signature: false,
            wide_udh: false,
            reference: 0x5a,
        }
    }

    #[test]
    fn reference_example_splits_in_two() {
        let split = request(EXAMPLE).split().unwrap();
        assert_eq!(split.coding, Coding::Ucs2);
        assert_eq!(split.segments.len(), 2);
        assert_eq!(split.segments[1].text, "祝您生活愉快！");
        let text = render_text(&split);
        assert!(text.contains("segments: 2"), "{text}");
        assert!(text.contains("udh 0500035a0202"), "{text}");
    }

    #[test]
    fn forced_ascii_names_the_offending_character() {
        let mut r = request("hello 世界");
        r.coding = CodingChoice::Ascii;
        assert_eq!(
            r.split().unwrap_err(),
            TextError::NotAscii {
                ch: '世', index: 6
            }
        );
    }

    #[test]
    fn signature_is_added_once() {
        let mut r = request("您的快递已到");
        r.signature = Some("【鸿雁物流】".into());
        let split = r.split().unwrap();
        assert_eq!(split.segments[0].text, "【鸿雁物流】您的快递已到");
        r.text = "【鸿雁物流】您的快递已到".into();
        assert_eq!(
            r.split().unwrap().segments[0].text,
            "【鸿雁物流】您的快递已到"
        );
    }
}
