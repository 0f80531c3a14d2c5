//! Importing the contact list the office's Excel saved: a GBK CSV with bad rows, each
//! shown in the preview with its line and reason, then confirmed; the good rows are in
//! the address book.

use super::console::Console;

/// The file as Excel on a Chinese Windows saves "CSV": GBK, CRLF. Line 3 has a number
/// one digit short, line 5 no number at all, line 6 repeats line 2.
const ROWS: &str = "姓名,手机,分组\r\n\
张伟,13800138011,财务部\r\n\
李娜,1380013801,财务部\r\n\
王磊,139 0013 8013,办公室\r\n\
赵敏,,办公室\r\n\
张伟,13800138011,财务部\r\n";

#[tokio::test]
async fn import_a_gbk_csv_see_its_bad_rows_in_the_preview_and_confirm() {
    let mut c = Console::start("browser-import").await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(ROWS);
    assert!(!unmappable);
    let file = c.dir().join("通讯录.csv");
    std::fs::write(&file, &gbk).expect("write the CSV");

    c.login_admin().await;
    c.open("/contacts/import").await;
    c.b().choose_file("#import-file", &file).await;
    c.shots("import").await;
    let b = c.b();
    b.click("#import-upload").await;

    // The preview: every bad row by line with its reason; the good ones, read from GBK.
    b.find("#import-bad").await;
    let bad_lines: Vec<String> = {
        let mut lines = Vec::new();
        for row in b.find_all("#import-bad tr.bad-row").await {
            lines.push(b.text_of(&row).await);
        }
        lines
    };
    assert_eq!(bad_lines.len(), 2, "{bad_lines:#?}");
    b.find("#import-bad tr.bad-row[data-line=\"3\"] td.bad-reason")
        .await;
    b.find("#import-bad tr.bad-row[data-line=\"5\"] td.bad-reason")
        .await;
    let reason = b
        .text("#import-bad tr.bad-row[data-line=\"3\"] td.bad-reason")
        .await;
    assert!(!reason.trim().is_empty(), "line 3 says why it is bad");
    b.find("#import-duplicates tr.dup-row").await;
    b.wait_text("#import-good", "张伟").await;
    b.wait_text("#import-good", "王磊").await;
    c.shots("preview").await;

    let b = c.b();
    b.click("#import-confirm").await;
    let created = b.attr("#import-result", "data-created").await;
    assert_eq!(created.as_deref(), Some("2"), "张伟 and 王磊 imported");
    c.shots("imported").await;

    // In the address book, under their Chinese names.
    c.open("/contacts").await;
    let b = c.b();
    b.wait_text("#contacts-table", "张伟").await;
    b.wait_text("#contacts-table", "王磊").await;
    assert!(!b.text("#contacts-table").await.contains("李娜"));
    c.shots("contacts").await;
    c.stop().await;
}
