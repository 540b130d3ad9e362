//! The epoll book's long reliability runs.
//!
//! `cargo test` runs every reliability check at a reduced size; this crate
//! holds the one that needs a size of its own, the [`crowd`]: thousands of
//! clients connected to chapter 11's server at once, every byte they send
//! checked on its way back, with clients that reset mid-stream and clients
//! that send megabytes without reading among them. The `reliability`
//! binary runs it at full size (10,000 connections), and then the
//! out-of-fds check of `echo_harness::contract` (a server with 32 fds, a
//! crowd it cannot accept).

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod crowd;
