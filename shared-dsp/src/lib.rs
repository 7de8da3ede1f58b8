pub mod limiter {}
