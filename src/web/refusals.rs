//! Why a recipient of a compose is refused, in the viewer's language.
//!
//! The intake reports a refusal as a stable code plus an English sentence (what the
//! API returns). The console shows Chinese first, so the words are chosen here from the
//! code — and, for a bad number, from the typed [`NumberError`] got by normalising the
//! input again (the same pure function the router used) — never by reading the English.

use crate::dispatch::RecipientOutcome;
use crate::policy::SkipReason;
use crate::route::{NumberError, normalize};

use super::lang::Lang;

/// The reason a refused or skipped recipient is shown with; `None` for one that is sent
/// (accepted, or a repeat sent once).
pub fn reason(outcome: &RecipientOutcome, lang: Lang) -> Option<String> {
    match outcome {
        RecipientOutcome::Rejected {
            input,
            code,
            reason,
            ..
        } => Some(match lang {
            Lang::En => reason.clone(),
            Lang::Zh => rejected_zh(input, code),
        }),
        RecipientOutcome::Skipped { reason, .. } => Some(skipped(*reason, lang).to_owned()),
        RecipientOutcome::Accepted { .. } | RecipientOutcome::Duplicate { .. } => None,
    }
}

/// A refusal of the intake's plan, by its code.
fn rejected_zh(input: &str, code: &str) -> String {
    match code {
        "no_link" => "该号码所属运营商没有可用的通道，无法发送。".into(),
        "text" => "短信内容无法经该运营商的通道发送（过长或含有无法编码的字符），请缩短或修改内容。"
            .into(),
        "replies" => "该运营商的通道不能接收回复，无法发送需要回复的短信。".into(),
        "extension" => "扩展码不适用于该运营商的通道，请换一个扩展码长度。".into(),
        "reference" => "该通道的长短信编号暂时用完，请稍后再发。".into(),
        "unknown_segment" => {
            "未知号段，不知道属于哪家运营商；如果是新放号的号段，请管理员在配置的 [routing.prefixes] 中添加。"
                .into()
        }
        // Every other code is the number's own: normalise again for the typed reason.
        _ => match normalize(input) {
            Err(e) => number_zh(&e),
            Ok(_) => "该号码无法发送。".into(),
        },
    }
}

/// A bad number's reason in Chinese, with the same details as its English Display.
pub fn number_zh(e: &NumberError) -> String {
    match e {
        NumberError::Empty => "号码为空。".into(),
        NumberError::InvalidCharacter { ch, position } => format!(
            "号码第 {position} 个字符“{ch}”无效；只能包含数字、空格、横线、点、括号和开头的 +。"
        ),
        NumberError::NotMainland { digits } => {
            format!("+{digits} 不是中国大陆号码；只能发送 +86 的手机号码。")
        }
        NumberError::Landline { digits } => {
            format!("{digits} 是固定电话号码（以区号开头）；短信需要手机号码。")
        }
        NumberError::LeadingZero { digits } => {
            format!("{digits} 的手机号码前多了一个 0，请去掉它，只写 11 位数字。")
        }
        NumberError::ServiceCode { digits } => {
            format!("{digits} 是服务号码或 SP 代码，不是用户的手机号码。")
        }
        NumberError::NotMobile { digits } => {
            format!("{digits} 不是手机号码（大陆手机号码以 1 开头）。")
        }
        NumberError::WrongLength { digits } => {
            format!("号码有 {digits} 位数字；大陆手机号码是 11 位。")
        }
        NumberError::UnknownPrefix { prefix } => format!(
            "没有运营商使用以 {prefix} 开头的号段；如果是新放号的号段，请管理员在配置的 [routing.prefixes] 中添加。"
        ),
    }
}

/// Why the messaging policy skips a recipient.
fn skipped(reason: SkipReason, lang: Lang) -> &'static str {
    match reason {
        SkipReason::OptedOut => lang.t(
            "该号码已退订营销短信，不会发送。",
            "This number has opted out of marketing messages; it is not sent to.",
        ),
        SkipReason::FrequencyCap => lang.t(
            "该号码今天收到的营销短信已达上限，不会发送。",
            "This number has had its daily limit of marketing messages; it is not sent to.",
        ),
        SkipReason::IdenticalCap => lang.t(
            "该号码今天已收到过相同内容的短信，已达上限，不会发送。",
            "This number has already had this text today as often as allowed; it is not sent to.",
        ),
        SkipReason::NoLinkForCategory => lang.t(
            "该号码所属运营商没有可发送此类短信的通道。",
            "No link of this number's carrier sends this category of message.",
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rejected(input: &str) -> RecipientOutcome {
        let e = normalize(input).unwrap_err();
        RecipientOutcome::Rejected {
            index: 0,
            input: input.into(),
            code: e.code().into(),
            reason: e.to_string(),
        }
    }

    #[test]
    fn a_bad_number_is_explained_in_the_viewer_s_language() {
        let r = rejected("1380013800");
        let zh = reason(&r, Lang::Zh).unwrap();
        assert!(zh.contains("10 位") && zh.contains("11 位"), "{zh}");
        let en = reason(&r, Lang::En).unwrap();
        assert!(en.contains("10 digits"), "{en}");
    }

    #[test]
    fn every_number_error_has_chinese_words() {
        for input in [
            "",
            "138a",
            "+1 555 0100",
            "010 1234 5678",
            "013800138000",
            "10086",
            "23800138000",
        ] {
            let zh = reason(&rejected(input), Lang::Zh).unwrap();
            assert!(!zh.is_ascii(), "{input}: {zh}");
        }
    }
}
