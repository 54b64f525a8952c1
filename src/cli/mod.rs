pub mod calendar;
pub mod chat;
pub mod check_config;
pub mod demo;
pub mod onboard;
pub mod remind;
pub mod serve;
