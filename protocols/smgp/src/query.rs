//! Query / Query_Resp: an SP asks the gateway for its traffic statistics of a day.
//! [single source: gosmgp]

use bytes::{BufMut, BytesMut};
use wire::field::{PResult, finish, octets, u8_be, u32_be};
use wire::{DecodeError, EncodeError, Octets};

pub(crate) const QUERY_PDU: &str = "SMGP_QUERY";
pub(crate) const QUERY_RESP_PDU: &str = "SMGP_QUERY_RESP";

/// Query (RequestID 0x00000007), PacketLength 31.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | QueryTime | `YYYYMMDD` |
/// | 20 | 1 | QueryType | 0 totals, 1 by service |
/// | 21 | 10 | QueryCode | service code when QueryType = 1 |
///
/// ```text
/// 0000001f 00000007 00000005 3230323430313032 01 54455354000000000000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Query {
    /// QueryTime.
    pub query_time: Octets<8>,
    /// QueryType.
    pub query_type: u8,
    /// QueryCode.
    pub query_code: Octets<10>,
}

impl Query {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 19;

    /// Totals for `date` (`YYYYMMDD`).
    pub fn totals(date: &str) -> Result<Self, EncodeError> {
        Ok(Self {
            query_time: Octets::for_field(QUERY_PDU, "QueryTime", date.as_bytes())?,
            ..Self::default()
        })
    }

    /// Figures for one service code on `date`.
    pub fn by_service(date: &str, service: &str) -> Result<Self, EncodeError> {
        Ok(Self {
            query_time: Octets::for_field(QUERY_PDU, "QueryTime", date.as_bytes())?,
            query_type: 1,
            query_code: Octets::for_field(QUERY_PDU, "QueryCode", service.as_bytes())?,
        })
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, Query> {
            let (i, query_time) = octets::<8>("QueryTime")(i)?;
            let (i, query_type) = u8_be("QueryType")(i)?;
            let (i, query_code) = octets::<10>("QueryCode")(i)?;
            Ok((
                i,
                Query {
                    query_time,
                    query_type,
                    query_code,
                },
            ))
        }
        finish(QUERY_PDU, true, parse(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.query_time.put(buf);
        buf.put_u8(self.query_type);
        self.query_code.put(buf);
    }
}

/// Query_Resp (RequestID 0x80000007), PacketLength 71.
///
/// | Offset | Size | Field | Meaning |
/// |---:|---:|---|---|
/// | 12 | 8 | QueryTime | echo |
/// | 20 | 1 | QueryType | echo |
/// | 21 | 10 | QueryCode | echo |
/// | 31 | 4 | MT_TLMsg | MT messages received from the SP |
/// | 35 | 4 | MT_TLUsr | MT users |
/// | 39 | 4 | MT_Scs | MT delivered |
/// | 43 | 4 | MT_WT | MT waiting |
/// | 47 | 4 | MT_FL | MT failed |
/// | 51 | 4 | MO_Scs | MO delivered to the SP |
/// | 55 | 4 | MO_WT | MO waiting |
/// | 59 | 4 | MO_FL | MO failed |
/// | 63 | 8 | Reserve | |
///
/// ```text
/// 00000047 80000007 00000005 3230323430313032 00 00000000000000000000
/// 0000000a 00000003 00000008 00000001 00000001 00000002 00000000 00000000 0000000000000000
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryResp {
    /// QueryTime.
    pub query_time: Octets<8>,
    /// QueryType.
    pub query_type: u8,
    /// QueryCode.
    pub query_code: Octets<10>,
    /// MT_TLMsg.
    pub mt_tlmsg: u32,
    /// MT_TLUsr.
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
    /// Reserve.
    pub reserve: Octets<8>,
}

impl QueryResp {
    /// Body length in bytes.
    pub const BODY_LEN: usize = 59;

    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        fn parse(i: &[u8]) -> PResult<'_, QueryResp> {
            let (i, query_time) = octets::<8>("QueryTime")(i)?;
            let (i, query_type) = u8_be("QueryType")(i)?;
            let (i, query_code) = octets::<10>("QueryCode")(i)?;
            let (i, mt_tlmsg) = u32_be("MT_TLMsg")(i)?;
            let (i, mt_tlusr) = u32_be("MT_TLUsr")(i)?;
            let (i, mt_scs) = u32_be("MT_Scs")(i)?;
            let (i, mt_wt) = u32_be("MT_WT")(i)?;
            let (i, mt_fl) = u32_be("MT_FL")(i)?;
            let (i, mo_scs) = u32_be("MO_Scs")(i)?;
            let (i, mo_wt) = u32_be("MO_WT")(i)?;
            let (i, mo_fl) = u32_be("MO_FL")(i)?;
            let (i, reserve) = octets::<8>("Reserve")(i)?;
            let resp = QueryResp {
                query_time,
                query_type,
                query_code,
                mt_tlmsg,
                mt_tlusr,
                mt_scs,
                mt_wt,
                mt_fl,
                mo_scs,
                mo_wt,
                mo_fl,
                reserve,
            };
            Ok((i, resp))
        }
        finish(QUERY_RESP_PDU, true, parse(body))
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.query_time.put(buf);
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
        self.reserve.put(buf);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn query_matches_its_layout() {
        let q = Query::by_service("20240102", "TEST").unwrap();
        let mut buf = BytesMut::new();
        q.encode(&mut buf);
        assert_eq!(
            wire::hex::encode(&buf),
            "32303234303130320154455354000000000000"
        );
        assert_eq!(buf.len(), Query::BODY_LEN);
        assert_eq!(Query::decode(&buf), Ok(q));
        assert_eq!(Query::totals("20240102").unwrap().query_type, 0);
        assert_eq!(Query::totals("202401021").unwrap_err().field, "QueryTime");
        assert_eq!(Query::decode(&buf[..9]).unwrap_err().field, "QueryCode");
    }

    #[test]
    fn query_resp_matches_its_layout() {
        let r = QueryResp {
            query_time: Octets(*b"20240102"),
            mt_tlmsg: 10,
            mt_tlusr: 3,
            mt_scs: 8,
            mt_wt: 1,
            mt_fl: 1,
            mo_scs: 2,
            ..QueryResp::default()
        };
        let mut buf = BytesMut::new();
        r.encode(&mut buf);
        assert_eq!(
            wire::hex::encode(&buf),
            "323032343031303200000000000000000000000000000a00000003000000080000000100000001000000020000000000000000\
             0000000000000000"
        );
        assert_eq!(buf.len(), QueryResp::BODY_LEN);
        assert_eq!(QueryResp::decode(&buf), Ok(r));
        assert_eq!(QueryResp::decode(&buf[..33]).unwrap_err().field, "MT_WT");
        let mut long = buf.to_vec();
        long.push(0);
        assert_eq!(
            QueryResp::decode(&long),
            Err(DecodeError::trailing(QUERY_RESP_PDU, 1))
        );
    }
}
