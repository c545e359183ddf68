//! Reporters: turning a [`crate::scan::ScanResult`] into text for people or machines.

pub mod terminal;
pub mod text;
