//! The staff console through the real binary: the first start's admin password (logged
//! once, across restarts), `hongyan user …` on the data directory with and without a
//! running daemon, and logins over real HTTP against `hongyan run` on 127.0.0.1:0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Output;

use crate::support::{Daemon, LIMIT, TempDir, command, output_of, stdout_of};

const SAID: &str = "console: log in as admin with";

/// One HTTP/1.1 request to `base` (`http://127.0.0.1:PORT`); (status, headers, body).
fn http(base: &str, method: &str, path: &str, cookie: &str, body: &str) -> (u16, String, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to the console");
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// The value a response's headers set for cookie `name`.
fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// Logs in through the form as a browser does; the session cookie, or the status.
fn login(base: &str, name: &str, password: &str) -> Result<String, u16> {
    let (_, head, page) = http(base, "GET", "/login", "", "");
    let pre = set_cookie(&head, "hongyan_csrf").expect("the login page sets a CSRF cookie");
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let token = &page[at..at + 32];
    let form = format!(
        "username={name}&password={}&csrf={token}",
        password.replace(' ', "+")
    );
    let (status, head, _) = http(
        base,
        "POST",
        "/login",
        &format!("hongyan_csrf={pre}"),
        &form,
    );
    match set_cookie(&head, "hongyan_session") {
        Some(id) if status == 303 => Ok(format!("hongyan_session={id}")),
        _ => Err(status),
    }
}

/// `hongyan user ARGS` on the data directory `data`, with `stdin`.
fn user(data: &TempDir, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = command();
    cmd.arg("user").args(args).env("HONGYAN_DATA", data.path());
    output_of(&mut cmd, stdin)
}

#[test]
fn the_first_start_logs_the_admin_password_once_and_it_logs_in() {
    let dir = TempDir::new("console-first-admin");
    let mut d = Daemon::start(dir.path());
    let pw = d.console_password();
    assert_eq!(pw.len(), 18, "{pw}");
    let session = login(d.api_url(), "admin", &pw).expect("the logged password logs in");
    let (status, _, page) = http(d.api_url(), "GET", "/", &session, "");
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"zh-CN\">"));
    // The API is where it was, beside the console.
    let (status, _, _) = http(d.api_url(), "GET", "/healthz", "", "");
    assert_eq!(status, 200);
    d.stop();
    let said = d.seen.iter().filter(|l| l.contains(SAID)).count();
    assert_eq!(said, 1, "{:#?}", d.seen);

    let mut again = Daemon::start(dir.path());
    assert!(
        login(again.api_url(), "admin", &pw).is_ok(),
        "same account after a restart"
    );
    again.stop();
    assert!(
        !again
            .seen
            .iter()
            .any(|l| l.contains(SAID) || l.contains(&pw)),
        "the second start logs no password: {:#?}",
        again.seen
    );
}

#[test]
fn user_add_works_on_the_data_directory_with_and_without_a_running_daemon() {
    let dir = TempDir::new("console-user-add");
    // No daemon, no data directory yet.
    let out = user(
        &dir,
        &["add", "li", "--role", "staff", "--password-stdin"],
        Some("li's long secret\n"),
    );
    assert_eq!(stdout_of(&out).trim(), "created staff account li");
    let out = user(
        &dir,
        &[
            "add",
            "wang",
            "--role",
            "approver",
            "--phone",
            "138 0013 8000",
        ],
        None,
    );
    let text = stdout_of(&out);
    let generated = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password is printed")
        .to_owned();
    let again = user(
        &dir,
        &["add", "li", "--role", "admin", "--password-stdin"],
        Some("another password\n"),
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let short = user(
        &dir,
        &["add", "zhao", "--role", "staff", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));

    // A store with accounts gets no generated admin.
    let mut d = Daemon::start(dir.path());
    let li = login(d.api_url(), "li", "li's long secret").expect("li logs in");
    assert!(login(d.api_url(), "wang", &generated).is_ok());
    // While it runs: a new account logs in at once; a new password ends the old sessions.
    let out = user(
        &dir,
        &["add", "zhao", "--role", "admin", "--password-stdin"],
        Some("zhao's long secret\r\n"),
    );
    stdout_of(&out);
    assert!(login(d.api_url(), "zhao", "zhao's long secret").is_ok());
    stdout_of(&user(
        &dir,
        &["passwd", "li", "--password-stdin"],
        Some("li's newer secret\n"),
    ));
    let (status, _, _) = http(d.api_url(), "GET", "/", &li, "");
    assert_eq!(status, 303, "li's old session ended");
    assert!(login(d.api_url(), "li", "li's newer secret").is_ok());
    stdout_of(&user(&dir, &["disable", "wang"], None));
    assert_eq!(login(d.api_url(), "wang", &generated), Err(401));
    let list = stdout_of(&user(&dir, &["list"], None));
    assert!(
        list.contains("wang") && list.contains("disabled") && list.contains("13800138000"),
        "{list}"
    );
    d.stop();
    assert!(!d.seen.iter().any(|l| l.contains(SAID)), "{:#?}", d.seen);
}
