//! A link's state and last problem in the viewer's language, decided from the types
//! ([`LinkProblem`], [`ConnectError`], [`LoginError`], the carrier's login status code),
//! never from the English words of `last_problem`: "登录被拒：3 认证错误",
//! "连接被拒绝". Pure: tested without a link.

use crate::config::LinkProtocol;
use crate::dispatch::LinkProblem;
use crate::link::{ConnectError, ConnectionLoss, LoginError, SessionEnd, Unreachable};

/// Words in both console languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// 中文.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Words {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// The meaning of a login refusal code in Chinese, from each protocol's table (CMPP
/// CONNECT_RESP Status, SMGP Login_Resp Status, SGIP Bind_Resp Result); `None` for a
/// code the table does not name (the English meaning is shown then).
pub fn login_status_zh(protocol: LinkProtocol, status: u32) -> Option<&'static str> {
    match (protocol, status) {
        (LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3, 1) => Some("消息结构错"),
        (LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3, 2) => Some("非法源地址（企业代码错）"),
        (LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3, 3) => Some("认证错误"),
        (LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3, 4) => Some("版本太高"),
        (LinkProtocol::Smgp, 1) => Some("系统忙"),
        (LinkProtocol::Smgp, 2) => Some("超过最大连接数"),
        (LinkProtocol::Smgp, 10) => Some("消息结构错"),
        (LinkProtocol::Smgp, 20) => Some("客户端 IP 地址错"),
        (LinkProtocol::Smgp, 21) => Some("认证错误"),
        (LinkProtocol::Smgp, 22) => Some("版本太高"),
        (LinkProtocol::Sgip, 1) => Some("非法登录（用户名或密码错）"),
        (LinkProtocol::Sgip, 2) => Some("重复登录"),
        (LinkProtocol::Sgip, 3) => Some("连接过多"),
        (LinkProtocol::Sgip, 4) => Some("登录类型错"),
        (LinkProtocol::Sgip, 5) => Some("参数格式错"),
        (LinkProtocol::Sgip, 34) => Some("登录过于频繁"),
        _ => None,
    }
}

fn connect_words(e: &ConnectError) -> Words {
    match e {
        ConnectError::Refused { .. } => Words::new("连接被拒绝", "connection refused"),
        ConnectError::TimedOut { after, .. } => Words::new(
            format!("连接超时（{} 秒无应答）", after.as_secs()),
            format!("connect timed out after {} s", after.as_secs()),
        ),
        ConnectError::Address { addr, .. } => Words::new(
            format!("无法解析地址 {addr}"),
            format!("cannot resolve {addr}"),
        ),
        ConnectError::NoAddress { addr } => Words::new(
            format!("地址 {addr} 没有可用的 IP"),
            format!("{addr} resolves to no address"),
        ),
        ConnectError::Io { io, .. } => {
            Words::new(format!("连接失败：{io}"), format!("connect failed: {io}"))
        }
    }
}

fn login_words(e: &LoginError) -> Words {
    match e {
        LoginError::NoAnswer => Words::new("登录无应答", "no login answer in time"),
        LoginError::WriteTimedOut => Words::new("登录请求发送超时", "login write timed out"),
        LoginError::Write(io) => Words::new(
            format!("登录请求发送失败：{io}"),
            format!("login write failed: {io}"),
        ),
        LoginError::MalformedAnswer(_) => Words::new("登录应答无法解析", "malformed login answer"),
        LoginError::Build(_) | LoginError::Encode(_) => Words::new(
            "无法生成登录请求（请检查账号配置）",
            "cannot build the login (check the account settings)",
        ),
        LoginError::Refused { status, meaning } => Words::new(
            format!("登录被拒：{status} {meaning}"),
            format!("login refused: {status} {meaning}"),
        ),
        LoginError::Lost(loss) => loss_words(loss),
    }
}

fn loss_words(loss: &ConnectionLoss) -> Words {
    match loss {
        ConnectionLoss::Closed | ConnectionLoss::ClosedWhileWriting => {
            Words::new("网关关闭了连接", "connection closed by the gateway")
        }
        ConnectionLoss::Read(io) => {
            Words::new(format!("读取失败：{io}"), format!("read failed: {io}"))
        }
        ConnectionLoss::Write(io) => {
            Words::new(format!("发送失败：{io}"), format!("write failed: {io}"))
        }
        ConnectionLoss::Malformed(_) => {
            Words::new("网关发来无法解析的数据", "malformed bytes from the gateway")
        }
        ConnectionLoss::EndedByGateway => {
            Words::new("网关结束了会话", "the gateway closed the session")
        }
        ConnectionLoss::StoppedReading { .. } => {
            Words::new("网关停止接收数据", "the gateway stopped reading")
        }
        ConnectionLoss::KeepAliveUnanswered => {
            Words::new("心跳无应答", "keep-alive probes went unanswered")
        }
    }
}

/// A link's last problem in words (`protocol`: which table a refusal code is read in).
pub fn problem_words(problem: &LinkProblem, protocol: LinkProtocol) -> Words {
    match problem {
        LinkProblem::LoginRefused {
            status, meaning, ..
        } => {
            let zh = login_status_zh(protocol, *status).unwrap_or(meaning);
            Words::new(
                format!("登录被拒：{status} {zh}"),
                format!("login refused: {status} {meaning}"),
            )
        }
        LinkProblem::Unreachable { reason, .. } => match reason {
            Unreachable::Connect(e) => connect_words(e),
            Unreachable::Login(e) => login_words(e),
        },
        LinkProblem::Closed { reason, .. } => match reason {
            SessionEnd::Shutdown => Words::new("已停止", "shut down"),
            SessionEnd::Idle => Words::new(
                "空闲断开（有消息时自动连接）",
                "idle (connects when there is work)",
            ),
            SessionEnd::Lost(loss) => loss_words(loss),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_and_a_refused_connection_read_as_the_issue_says() {
        let refused = LinkProblem::LoginRefused {
            conn: 0,
            status: 3,
            meaning: ::cmpp::status::connect_status_meaning(3),
        };
        let w = problem_words(&refused, LinkProtocol::Cmpp3);
        assert_eq!(w.zh, "登录被拒：3 认证错误");
        assert_eq!(w.en, "login refused: 3 authentication error");
        let closed_port = LinkProblem::Unreachable {
            conn: 1,
            reason: Unreachable::Connect(ConnectError::Refused {
                addr: "127.0.0.1:1".parse().unwrap(),
            }),
        };
        assert_eq!(
            problem_words(&closed_port, LinkProtocol::Smgp).zh,
            "连接被拒绝"
        );
    }

    #[test]
    fn a_code_no_table_names_keeps_the_protocols_own_meaning() {
        let odd = LinkProblem::LoginRefused {
            conn: 0,
            status: 99,
            meaning: "other error",
        };
        assert_eq!(
            problem_words(&odd, LinkProtocol::Sgip).zh,
            "登录被拒：99 other error"
        );
        // The same code means different things in different protocols.
        assert_eq!(login_status_zh(LinkProtocol::Smgp, 21), Some("认证错误"));
        assert_eq!(login_status_zh(LinkProtocol::Cmpp2, 21), None);
    }
}
