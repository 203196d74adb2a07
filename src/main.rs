fn main() -> anyhow::Result<()> {
    api::telemetry::init();
    api::cli::main()
}
