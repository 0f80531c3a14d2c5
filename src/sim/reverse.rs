//! The SGIP SMG → SP connection: the simulator connects to the SP's listener, Binds with
//! login type 2 and the SP's configured credentials, sends Deliver (MO) and Report, and
//! Unbinds after [`super::SimConfig::sgip_idle_unbind`] with nothing to send — the
//! connect-on-demand model of a real SMG. A lost connection is reconnected with
//! back-off; Delivers and Reports still unanswered go out again on the next one.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use sgip::codec::Decoder;
use sgip::{Bind, Body, Deliver, Pdu, Report, ReportState, SequenceGenerator, SequenceNumber};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use wire::EncodeError;

use super::ids::Outcome;
use super::session::{MALFORMED, sim_event};
use super::shared::{DeliverId, GatewayState, Outbound, SimMsgId};
use super::stats::Stats;
use crate::clock::ChinaTime;
use crate::shutdown::Shutdown;

/// At most this many commands outstanding (sgip.md §5: 32).
const WINDOW: usize = 32;
/// Resend everything when the SP answers nothing for this long.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
enum Ended {
    Idle,
    Shutdown,
}

#[derive(Debug, thiserror::Error)]
enum ReverseError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("codec: {0}")]
    Codec(#[from] wire::CodecError),
    #[error("encode: {0}")]
    Encode(#[from] EncodeError),
    #[error("no SP listener or SP account configured")]
    NotConfigured,
    #[error("Bind refused with result {0}")]
    Refused(u8),
    #[error("{0}")]
    Closed(&'static str),
}

fn now_ts() -> sgip::Timestamp {
    let t = ChinaTime::now();
    sgip::Timestamp::new(t.month, t.day, t.hour, t.minute, t.second).unwrap_or_default()
}

/// Encode one Report or Deliver.
fn encode(ob: &Outbound, seq: SequenceNumber, out: &mut BytesMut) -> Result<(), EncodeError> {
    let body = match ob {
        Outbound::Report(r) => {
            let SimMsgId::Sgip(submit_seq) = r.id else {
                return Err(EncodeError::new(
                    "SGIP_REPORT",
                    "SubmitSequenceNumber",
                    "not an SGIP id",
                ));
            };
            let (state, code) = match r.outcome {
                Outcome::Delivered => (ReportState::Delivered, 0),
                // 25: user cannot communicate (off, out of coverage).
                Outcome::Undeliverable => (ReportState::Failed, 25),
                // 21: destination unreachable (validity period ran out).
                Outcome::Expired => (ReportState::Failed, 21),
            };
            Body::Report(Report::for_submit(
                submit_seq,
                &r.recipient.to_text(),
                state,
                code,
            )?)
        }
        Outbound::Mo(m) => {
            let mut d = Deliver::new(&m.from, &m.to, m.coding, m.content.clone())?;
            d.set_udhi(m.udhi);
            Body::Deliver(d)
        }
    };
    Pdu::new(seq, body).encode(out)
}

/// The reverse-connection task: runs until shutdown.
pub(crate) async fn run(
    shared: Arc<GatewayState>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    shutdown: Shutdown,
) {
    let mut queue: VecDeque<Outbound> = VecDeque::new();
    let mut seqs = SequenceGenerator::new(shared.config.gateway_id);
    let mut failures: u32 = 0;
    loop {
        if queue.is_empty() {
            tokio::select! {
                _ = shutdown.triggered() => return,
                ob = rx.recv() => match ob {
                    Some(ob) => queue.push_back(ob),
                    None => return,
                },
            }
        }
        let mut unacked: HashMap<SequenceNumber, Outbound> = HashMap::new();
        let result = connection(
            &shared,
            &mut queue,
            &mut unacked,
            &mut rx,
            &mut seqs,
            &shutdown,
        )
        .await;
        // Unanswered commands go first on the next connection, in their order.
        let mut left: Vec<_> = unacked.into_iter().collect();
        left.sort_by_key(|(seq, _)| *seq);
        for (_, ob) in left.into_iter().rev() {
            match ob {
                Outbound::Report(_) => Stats::inc(&shared.stats.c.reports_resent),
                Outbound::Mo(_) => Stats::inc(&shared.stats.c.mo_resent),
            }
            queue.push_front(ob);
        }
        shared.stats.changed();
        match result {
            Ok(Ended::Shutdown) => return,
            Ok(Ended::Idle) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                let backoff = Duration::from_millis(100u64 << failures.min(6));
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "SGIP reverse connection failed");
                tokio::select! {
                    _ = shutdown.triggered() => return,
                    _ = sleep(backoff) => {}
                }
            }
        }
    }
}

async fn read_pdu(
    stream: &mut TcpStream,
    codec: &mut sgip::SgipCodec,
    rbuf: &mut BytesMut,
) -> Result<Pdu, ReverseError> {
    loop {
        if let Some(pdu) = codec.decode(rbuf)? {
            return Ok(pdu);
        }
        if stream.read_buf(rbuf).await? == 0 {
            return Err(ReverseError::Closed("SP closed the connection"));
        }
    }
}

async fn connection(
    shared: &GatewayState,
    queue: &mut VecDeque<Outbound>,
    unacked: &mut HashMap<SequenceNumber, Outbound>,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    seqs: &mut SequenceGenerator,
    shutdown: &Shutdown,
) -> Result<Ended, ReverseError> {
    let cfg = &shared.config;
    let (Some(addr), Some(account)) = (cfg.sgip_sp_listener, cfg.sgip_sp_account.as_ref()) else {
        queue.clear();
        return Err(ReverseError::NotConfigured);
    };
    let mut stream = connect(addr).await?;
    let mut codec = sgip::SgipCodec::default();
    let mut rbuf = BytesMut::with_capacity(16 * 1024);
    let mut wbuf = BytesMut::with_capacity(16 * 1024);

    let bind = Bind::smg_to_sp(&account.id, &account.secret)?;
    Pdu::new(seqs.next(now_ts()), Body::Bind(bind)).encode(&mut wbuf)?;
    stream.write_all(&wbuf).await?;
    wbuf.clear();
    let resp = timeout(
        Duration::from_secs(10),
        read_pdu(&mut stream, &mut codec, &mut rbuf),
    )
    .await
    .map_err(|_| ReverseError::Closed("no Bind_Resp"))??;
    match resp.body {
        Body::BindResp(r) if r.result == 0 => {}
        Body::BindResp(r) => {
            Stats::inc(&shared.stats.c.reverse_bind_failures);
            return Err(ReverseError::Refused(r.result));
        }
        _ => {
            Stats::inc(&shared.stats.c.reverse_bind_failures);
            return Err(ReverseError::Closed("expected Bind_Resp"));
        }
    }
    Stats::inc(&shared.stats.c.reverse_binds);
    tracing::info!(sp = %addr, "SGIP reverse connection bound");
    shared.reverse_open.store(true, Ordering::Release);
    let io = Io {
        stream: &mut stream,
        codec: &mut codec,
        rbuf: &mut rbuf,
    };
    let result = bound(shared, io, queue, unacked, rx, seqs, shutdown).await;
    shared.reverse_open.store(false, Ordering::Release);
    result
}

/// The socket of a bound reverse connection with its read state.
struct Io<'a> {
    stream: &'a mut TcpStream,
    codec: &'a mut sgip::SgipCodec,
    rbuf: &'a mut BytesMut,
}

/// The bound part of a reverse connection.
async fn bound(
    shared: &GatewayState,
    io: Io<'_>,
    queue: &mut VecDeque<Outbound>,
    unacked: &mut HashMap<SequenceNumber, Outbound>,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    seqs: &mut SequenceGenerator,
    shutdown: &Shutdown,
) -> Result<Ended, ReverseError> {
    let cfg = &shared.config;
    let Io {
        stream,
        codec,
        rbuf,
    } = io;
    let mut wbuf = BytesMut::with_capacity(16 * 1024);

    let mut last_activity = Instant::now();
    loop {
        if shared.reverse_malformed.swap(false, Ordering::AcqRel) {
            wbuf.extend_from_slice(&MALFORMED);
            Stats::inc(&shared.stats.c.malformed_sent);
            tracing::info!("fault: malformed bytes sent on the SGIP reverse connection");
        }
        if shared.reverse_cut.swap(false, Ordering::AcqRel) {
            Stats::inc(&shared.stats.c.fault_cuts);
            tracing::info!("fault: SGIP reverse connection cut");
            return Err(ReverseError::Closed("fault: connection cut"));
        }
        while unacked.len() < WINDOW {
            let Some(mut ob) = queue.pop_front().or_else(|| rx.try_recv().ok()) else {
                break;
            };
            // A resend goes under the sequence number it first went under: that number
            // is the Deliver's / Report's id.
            let seq = match ob.deliver_id(|| DeliverId::Sgip(seqs.next(now_ts()))) {
                DeliverId::Sgip(seq) => seq,
                _ => seqs.next(now_ts()),
            };
            if let Err(e) = encode(&ob, seq, &mut wbuf) {
                tracing::warn!(error = %e, "cannot encode an SGIP Deliver/Report; dropped");
                continue;
            }
            match &ob {
                Outbound::Report(r) => {
                    Stats::inc(&shared.stats.c.reports_sent);
                    sim_event!(shared, msg_id = %r.id, delivered = r.outcome == Outcome::Delivered, "status report sent");
                }
                Outbound::Mo(m) => {
                    Stats::inc(&shared.stats.c.mo_sent);
                    sim_event!(shared, bytes = m.content.len(), "MO sent");
                }
            }
            unacked.insert(seq, ob);
        }
        if !wbuf.is_empty() {
            stream.write_all(&wbuf).await?;
            wbuf.clear();
            last_activity = Instant::now();
            shared.stats.changed();
        }
        let idle = unacked.is_empty() && queue.is_empty();
        let wake = if idle {
            last_activity + cfg.sgip_idle_unbind
        } else {
            last_activity + RESPONSE_TIMEOUT
        };
        // Paused (fault): the SP's answers wait unread in the socket.
        let reading = !shared.faults.reads_paused();
        tokio::select! {
            _ = shutdown.triggered() => {
                unbind(stream, seqs, codec, rbuf).await;
                return Ok(Ended::Shutdown);
            }
            _ = shared.reverse_wake.notified() => {}
            r = stream.read_buf(rbuf), if reading => {
                if r? == 0 {
                    return Err(ReverseError::Closed("SP closed the connection"));
                }
                last_activity = Instant::now();
                while let Some(pdu) = codec.decode(rbuf)? {
                    match pdu.body {
                        Body::DeliverResp(_) | Body::ReportResp(_) => {
                            match unacked.remove(&pdu.sequence) {
                                Some(Outbound::Report(_)) => Stats::inc(&shared.stats.c.reports_acked),
                                Some(Outbound::Mo(_)) => Stats::inc(&shared.stats.c.mo_acked),
                                None => tracing::debug!(seq = %pdu.sequence, "answer to nothing pending"),
                            }
                        }
                        Body::Unbind => {
                            if let Some(resp) = pdu.response(0) {
                                let _ = resp.encode(&mut wbuf);
                                let _ = stream.write_all(&wbuf).await;
                            }
                            return Err(ReverseError::Closed("SP sent Unbind"));
                        }
                        _ => {}
                    }
                }
                shared.stats.changed();
            }
            ob = rx.recv(), if unacked.len() < WINDOW => {
                match ob {
                    Some(ob) => queue.push_back(ob),
                    None => return Ok(Ended::Shutdown),
                }
            }
            _ = sleep_until(wake) => {
                if idle {
                    unbind(stream, seqs, codec, rbuf).await;
                    Stats::inc(&shared.stats.c.reverse_unbinds);
                    shared.stats.changed();
                    tracing::debug!("SGIP reverse connection idle: unbound");
                    return Ok(Ended::Idle);
                }
                return Err(ReverseError::Closed("SP did not answer in time"));
            }
        }
    }
}

async fn connect(addr: SocketAddr) -> Result<TcpStream, ReverseError> {
    let stream = timeout(Duration::from_secs(5), TcpStream::connect(addr))
        .await
        .map_err(|_| ReverseError::Closed("connect timed out"))??;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Send Unbind and wait (briefly) for Unbind_Resp.
async fn unbind(
    stream: &mut TcpStream,
    seqs: &mut SequenceGenerator,
    codec: &mut sgip::SgipCodec,
    rbuf: &mut BytesMut,
) {
    let mut buf = BytesMut::new();
    if Pdu::new(seqs.next(now_ts()), Body::Unbind)
        .encode(&mut buf)
        .is_err()
        || stream.write_all(&buf).await.is_err()
    {
        return;
    }
    let _ = timeout(Duration::from_secs(2), async {
        while let Ok(pdu) = read_pdu(stream, codec, rbuf).await {
            if matches!(pdu.body, Body::UnbindResp) {
                break;
            }
        }
    })
    .await;
    let _ = stream.shutdown().await;
}
