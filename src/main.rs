fn main() -> anyhow::Result<()> {
    api::memory_release::configure_allocator();
    api::telemetry::init();
    api::cli::main()
}
