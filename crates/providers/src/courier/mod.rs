//! Couriers (快递): one trait, [`CourierService`], for what the shipper and the customer
//! ask of a courier platform: make a waybill for a parcel (电子面单下单: the tracking
//! number comes back) and read a parcel's tracking events (物流轨迹). Typing a tracking
//! number by hand never needs it.
//!
//! One adapter, [`kuaidi100::Kuaidi100`], speaks kuaidi100's enterprise API (the aggregator
//! most Chinese merchants use for every courier): `label/order` for waybills and
//! `poll/query.do` for tracking, form posts signed with MD5 as kuaidi100 defines. It talks
//! to kuaidi100 over HTTPS, or, for demos and tests, to [`sandbox::Kuaidi100Sandbox`]:
//! the same requests and answers, checked and signed the same way, with parcels whose
//! events move on the application's clock and failures a test can ask for.

pub mod kuaidi100;
pub mod sandbox;

use futures_util::future::BoxFuture;

/// Someone a parcel is for or from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub mobile: String,
    /// The whole address as printed on the waybill.
    pub address: String,
}

/// A waybill to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaybillRequest {
    /// Our fixed number of the parcel (the application's number): asking again after a
    /// lost answer gets the same waybill.
    pub order_no: String,
    /// The courier, by our code (`sf`, `ems`…).
    pub courier: String,
    pub recipient: Party,
    pub sender: Party,
    /// What is in it, e.g. `USB Key 数字证书`.
    pub cargo: String,
    pub count: u32,
}

/// A waybill made: the courier's tracking number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waybill {
    pub tracking_no: String,
}

/// Where a parcel is, by kuaidi100's state codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParcelState {
    /// 0 在途.
    InTransit,
    /// 1 揽收.
    Collected,
    /// 2 疑难: held up; someone should call.
    Problem,
    /// 3 签收.
    Signed,
    /// 4 退签, 6 退回, 14 拒签: coming back.
    Returned,
    /// 5 派件.
    Delivering,
    /// No event yet (the waybill is made, the courier has not collected it).
    Waiting,
}

impl ParcelState {
    /// kuaidi100's `state` (the general codes; 7 转单 and the customs ones are in transit).
    pub fn from_code(code: &str) -> ParcelState {
        match code {
            "1" => ParcelState::Collected,
            "2" => ParcelState::Problem,
            "3" => ParcelState::Signed,
            "4" | "6" | "14" => ParcelState::Returned,
            "5" => ParcelState::Delivering,
            _ => ParcelState::InTransit,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ParcelState::InTransit => "0",
            ParcelState::Collected => "1",
            ParcelState::Problem => "2",
            ParcelState::Signed => "3",
            ParcelState::Returned => "6",
            ParcelState::Delivering => "5",
            ParcelState::Waiting => "",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParcelState::InTransit => "in_transit",
            ParcelState::Collected => "collected",
            ParcelState::Problem => "problem",
            ParcelState::Signed => "signed",
            ParcelState::Returned => "returned",
            ParcelState::Delivering => "delivering",
            ParcelState::Waiting => "waiting",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ParcelState::InTransit => "运输中",
            ParcelState::Collected => "已揽收",
            ParcelState::Problem => "疑难件",
            ParcelState::Signed => "已签收",
            ParcelState::Returned => "退回",
            ParcelState::Delivering => "派件中",
            ParcelState::Waiting => "待揽收",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ParcelState::InTransit => "In transit",
            ParcelState::Collected => "Collected",
            ParcelState::Problem => "Held up",
            ParcelState::Signed => "Delivered",
            ParcelState::Returned => "Returned",
            ParcelState::Delivering => "Out for delivery",
            ParcelState::Waiting => "Waiting for collection",
        }
    }
}

/// One event of a parcel's journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingEvent {
    /// Unix seconds (the courier's Beijing time read as such).
    pub at: i64,
    pub context: String,
    pub location: String,
}

/// A parcel's journey, newest event first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    pub state: ParcelState,
    pub events: Vec<TrackingEvent>,
}

/// The platform did not do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CourierError {
    /// Down, timed out, or an answer that could not be read: ask again later.
    #[error("the courier platform is unavailable: {0}")]
    Unavailable(String),
    /// Refused, with the platform's reason (an incomplete address, a bad signature…).
    #[error("the courier platform refused: {0}")]
    Refused(String),
}

pub trait CourierService: Send + Sync {
    /// `kuaidi100`, or `kuaidi100-sandbox`.
    fn name(&self) -> &'static str;

    /// Makes a waybill; the same `order_no` again answers the same one.
    fn create_waybill<'a>(
        &'a self,
        request: &'a WaybillRequest,
    ) -> BoxFuture<'a, Result<Waybill, CourierError>>;

    /// The journey of parcel `tracking_no` of `courier` (our code); `phone` is the
    /// recipient's or the sender's (SF Express answers only with it).
    fn track<'a>(
        &'a self,
        courier: &'a str,
        tracking_no: &'a str,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<Tracking, CourierError>>;
}
