pub mod anomalies;
pub mod calendar;
pub mod check_config;
pub mod demo;
pub mod demo_flux;
pub mod import;
pub mod onboard;
pub mod serve;
