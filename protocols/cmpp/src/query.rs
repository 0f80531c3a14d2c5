//! Daily statistics: CMPP_QUERY and CMPP_QUERY_RESP (cmpp.md §8.1–8.2). Same layout in
//! 2.0 and 3.0.

use bytes::{BufMut, BytesMut};
use wire::{DecodeError, Octets};

use crate::reader::Reader;
use crate::status;

pub(crate) const QUERY_PDU: &str = "CMPP_QUERY";
pub(crate) const QUERY_RESP_PDU: &str = "CMPP_QUERY_RESP";

/// CMPP_QUERY body, SP → ISMG (Total_Length 39).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | Time | `YYYYMMDD` |
/// | 20 | 1 | Query_Type | 0 totals, 1 by service |
/// | 21 | 10 | Query_Code | Service_Id when Query_Type = 1 |
/// | 31 | 8 | Reserve | |
///
/// Example (totals for 2024-01-02, sequence 9):
/// `00000027 00000006 00000009 3230323430313032 00 00×10 00×8`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Query {
    /// Time `YYYYMMDD`.
    pub time: Octets<8>,
    /// Query_Type.
    pub query_type: u8,
    /// Query_Code.
    pub query_code: Octets<10>,
    /// Reserve.
    pub reserve: Octets<8>,
}

impl Query {
    pub(crate) const BODY_LEN: usize = 27;

    /// Human-readable Query_Type.
    pub fn query_type_meaning(&self) -> &'static str {
        status::query_type_meaning(self.query_type)
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(QUERY_PDU, body);
        let time = r.octets::<8>("Time")?;
        let query_type = r.u8("Query_Type")?;
        let query_code = r.octets::<10>("Query_Code")?;
        let reserve = r.octets::<8>("Reserve")?;
        r.end()?;
        Ok(Self {
            time,
            query_type,
            query_code,
            reserve,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.time.put(buf);
        buf.put_u8(self.query_type);
        self.query_code.put(buf);
        self.reserve.put(buf);
    }
}

/// CMPP_QUERY_RESP body, ISMG → SP (Total_Length 63).
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | Time | as queried |
/// | 20 | 1 | Query_Type | |
/// | 21 | 10 | Query_Code | |
/// | 31 | 4 | MT_TLMsg | MT messages received from the SP |
/// | 35 | 4 | MT_Tlusr | MT users received from the SP |
/// | 39 | 4 | MT_Scs | forwarded successfully |
/// | 43 | 4 | MT_WT | waiting to be forwarded |
/// | 47 | 4 | MT_FL | forwarding failed |
/// | 51 | 4 | MO_Scs | MO delivered to the SP |
/// | 55 | 4 | MO_WT | MO waiting for the SP |
/// | 59 | 4 | MO_FL | MO delivery to the SP failed |
///
/// Example: `0000003f 80000006 00000009 3230323430313032 00 00×10 00000064 00000032
/// 00000060 00000001 00000003 0000000a 00000000 00000000`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryResp {
    /// Time `YYYYMMDD`.
    pub time: Octets<8>,
    /// Query_Type.
    pub query_type: u8,
    /// Query_Code.
    pub query_code: Octets<10>,
    /// MT_TLMsg.
    pub mt_tlmsg: u32,
    /// MT_Tlusr.
    pub mt_tlusr: u32,
    /// MT_Scs.
    pub mt_scs: u32,
    /// MT_WT.
    pub mt_wt: u32,
    /// MT_FL.
    pub mt_fl: u32,
    /// MO_Scs.
    pub mo_scs: u32,
    /// MO_WT.
    pub mo_wt: u32,
    /// MO_FL.
    pub mo_fl: u32,
}

impl QueryResp {
    pub(crate) const BODY_LEN: usize = 51;

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(QUERY_RESP_PDU, body);
        let resp = Self {
            time: r.octets::<8>("Time")?,
            query_type: r.u8("Query_Type")?,
            query_code: r.octets::<10>("Query_Code")?,
            mt_tlmsg: r.u32("MT_TLMsg")?,
            mt_tlusr: r.u32("MT_Tlusr")?,
            mt_scs: r.u32("MT_Scs")?,
            mt_wt: r.u32("MT_WT")?,
            mt_fl: r.u32("MT_FL")?,
            mo_scs: r.u32("MO_Scs")?,
            mo_wt: r.u32("MO_WT")?,
            mo_fl: r.u32("MO_FL")?,
        };
        r.end()?;
        Ok(resp)
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.time.put(buf);
        buf.put_u8(self.query_type);
        self.query_code.put(buf);
        for v in [
            self.mt_tlmsg,
            self.mt_tlusr,
            self.mt_scs,
            self.mt_wt,
            self.mt_fl,
            self.mo_scs,
            self.mo_wt,
            self.mo_fl,
        ] {
            buf.put_u32(v);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip_and_size() {
        let q = Query {
            time: Octets::new(b"20240102").unwrap(),
            query_type: 1,
            query_code: Octets::new(b"TEST").unwrap(),
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        q.encode(&mut buf);
        assert_eq!(buf.len(), Query::BODY_LEN);
        assert_eq!(Query::decode(&buf), Ok(q));
        assert_eq!(
            q.query_type_meaning(),
            "by service (Query_Code = Service_Id)"
        );
    }

    #[test]
    fn query_resp_round_trip_and_size() {
        let r = QueryResp {
            time: Octets::new(b"20240102").unwrap(),
            mt_tlmsg: 100,
            mo_fl: u32::MAX,
            ..Default::default()
        };
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(buf.len(), QueryResp::BODY_LEN);
        assert_eq!(QueryResp::decode(&buf), Ok(r));
        let err = QueryResp::decode(&buf[..30]).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_QUERY_RESP", "MT_Scs"));
    }
}
