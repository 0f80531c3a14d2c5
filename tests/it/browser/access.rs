//! Getting in and being kept out: logging in (and a wrong password), the CSRF token a
//! state-changing request must carry, a staff account refused an admin page, logging out.

use serde_json::json;

use super::console::Console;

/// A `fetch` from the page, as the console's own scripts make them; the answer's status.
const POST_WITHOUT_TOKEN: &str = "return fetch(arguments[0], { method: 'POST', \
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' }) \
    .then(r => r.status);";

#[tokio::test]
async fn log_in_be_refused_without_the_csrf_token_or_the_role_and_log_out() {
    let mut c = Console::start("browser-access").await;
    let b = c.b();

    // A page before logging in leads to the login page, which comes back to it after.
    c.open("/").await;
    b.wait_url("the login page", |u| u.contains("/login")).await;
    c.shots("login").await;

    // A wrong password: refused on the login page, the name typed still there.
    let b = c.b();
    b.fill("#username", "admin").await;
    b.fill("#password", "not-the-password").await;
    b.click("#login-submit").await;
    b.wait_text("#login-error", "").await;
    assert!(b.url().await.contains("/login"));
    let typed = b
        .execute(
            "return document.querySelector('#username').value;",
            json!([]),
        )
        .await;
    assert_eq!(typed, "admin", "the name typed is kept on an error");
    c.shots("login-refused").await;

    let password = c.admin_password.clone();
    let b = c.b();
    b.fill("#password", &password).await;
    b.click("#login-submit").await;
    let base = c.url("/");
    b.wait_url("the page asked for before logging in", |u| u == base)
        .await;
    c.shots("dashboard").await;

    // A state-changing request without the session's CSRF token is refused — from a
    // script of the page, and from a form whose token was taken out — and the session
    // stays as it was.
    let b = c.b();
    let status = b
        .execute(POST_WITHOUT_TOKEN, json!([c.url("/logout")]))
        .await;
    assert_eq!(status, 403, "a POST without X-CSRF-Token");
    b.execute(
        "document.querySelector('#logout').form.querySelector('input[name=csrf]').remove();",
        json!([]),
    )
    .await;
    b.click("#logout").await;
    b.find("#error[data-status=\"403\"]").await;
    c.shots("csrf-refused").await;
    c.open("/").await;
    let b = c.b();
    assert!(
        !b.url().await.contains("/login"),
        "a refused logout leaves the session alone"
    );

    // A staff account: no settings in its menu, and an admin page refused.
    let staff = c.add_user("clerk", "staff", None);
    c.logout().await;
    c.login("clerk", &staff).await;
    let b = c.b();
    assert!(
        b.find_now("nav a[href=\"/settings/accounts\"]")
            .await
            .is_none(),
        "staff are not shown the accounts page"
    );
    c.open("/settings/accounts").await;
    c.b().find("#error[data-status=\"403\"]").await;
    c.shots("staff-refused").await;

    // Logging out ends the session: the console asks to log in again.
    c.logout().await;
    c.open("/").await;
    c.b()
        .wait_url("the login page after logging out", |u| u.contains("/login"))
        .await;
    c.stop().await;
}
