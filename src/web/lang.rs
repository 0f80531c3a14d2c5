//! The console's two languages. Chinese (zh-CN) is the default; English is one click
//! away (`/lang?to=en`), remembered in the `lang` cookie. Strings are written where they
//! are used, in both languages: `lang.t("发件箱", "Outbox")` in Rust,
//! `{{ l.t("发件箱", "Outbox") }}` in templates — no catalogue file to keep in step.

/// The language a page is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English.
    En,
}

/// The cookie that remembers the choice.
pub const COOKIE: &str = "lang";

impl Lang {
    /// The text for this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn html(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The value the cookie and `/lang?to=` use.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    /// The other language (what the switch offers).
    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }

    /// The other language's name, written in that language (what the switch shows).
    pub fn other_name(self) -> &'static str {
        match self {
            Self::Zh => "English",
            Self::En => "中文",
        }
    }

    /// A cookie or query value: `en` (or `en-US`…) is English, anything else Chinese.
    pub fn parse(value: &str) -> Self {
        if value.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) {
            Self::En
        } else {
            Self::Zh
        }
    }

    /// The language chosen by the `lang` cookie among a request's headers; Chinese
    /// without one.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        super::session::cookie(headers, COOKIE).map_or(Self::Zh, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_unless_english_is_asked_for() {
        assert_eq!(Lang::parse("en"), Lang::En);
        assert_eq!(Lang::parse("EN-us"), Lang::En);
        assert_eq!(Lang::parse("zh"), Lang::Zh);
        assert_eq!(Lang::parse("fr"), Lang::Zh);
        assert_eq!(Lang::parse(""), Lang::Zh);
        assert_eq!(Lang::default().html(), "zh-CN");
        assert_eq!(Lang::En.t("发件箱", "Outbox"), "Outbox");
        assert_eq!(Lang::Zh.t("发件箱", "Outbox"), "发件箱");
    }
}
