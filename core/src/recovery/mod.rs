//! Getting an account back without its key: SLIP-39 paper shares ([`shamir`]) and, over the
//! contracts, guardians who approve a time-locked owner rotation.

pub mod shamir;
