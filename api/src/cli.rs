//! The `service-circle` command line. Every flag can also come from the environment.

use crate::auth::issue_token;
use crate::config::{DEFAULT_DATABASE_URL, DEFAULT_MAX_CONNECTIONS, Settings};
use crate::domain::role::Role;
use crate::domain::travel::NetworkSettings;
use crate::startup::Application;
use crate::store::Store;
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "service-circle", version, about = "GraphQL service for 15-minute community service circles")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Database URL: sqlite://FILE?mode=rwc (created and migrated on start) or postgres://...
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Connections in the database pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS, global = true)]
    pub max_connections: u32,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the HTTP server (POST /graphql, GET /graphql for GraphiQL, GET /healthz).
    Serve(Box<ServeArgs>),
    /// Manage bearer tokens for writes.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import facilities or residential areas from a GeoJSON FeatureCollection or a CSV file
    /// (lon and lat columns, WGS-84; other columns named like the GraphQL input fields).
    Import {
        #[arg(value_enum)]
        what: ImportKind,
        /// `.csv` is read as CSV, anything else as GeoJSON.
        file: std::path::PathBuf,
        /// Recorded as the author of the facility writes.
        #[arg(long, default_value = "cli-import")]
        actor: String,
        /// The coordinate system of the file's coordinates (GeoJSON itself is WGS-84).
        #[arg(long, value_enum, default_value = "wgs84")]
        crs: CrsArg,
    },
    /// Export facilities (their properties import back as they are) or the coverage of every
    /// residential area, as GeoJSON or CSV, in any coordinate system.
    Export {
        #[arg(value_enum)]
        what: ExportKind,
        #[arg(long, value_enum, default_value = "geojson")]
        format: crate::export_file::Format,
        #[arg(long, value_enum, default_value = "wgs84")]
        crs: CrsArg,
        /// Travel budget for `coverage`, minutes (AUTO model, elderly walking speed).
        #[arg(long, default_value_t = 15.0)]
        minutes: f64,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Import the walking network of an OpenStreetMap extract (.osm.pbf) into the stored one:
    /// the tiles the extract's nodes fall in are replaced, other areas stay; running servers
    /// use it from their next query on.
    ImportOsm {
        file: std::path::PathBuf,
        /// The name `network list` shows (default: the file name without `.osm.pbf`).
        #[arg(long)]
        source: Option<String>,
        /// Memory for sorting the extract's ways and nodes, in MiB; what does not fit is
        /// sorted in temporary files (in TMPDIR). The import's memory is about this plus one
        /// tile, whatever the extract's size.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(16..=65536))]
        memory_mib: u32,
    },
    /// Show or remove stored walking networks.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Load the synthetic Yinchuan Xingqing district demo data set.
    Demo {
        /// Load even if the database already has facilities (adds a second copy).
        #[arg(long)]
        force: bool,
        /// Also scatter this many extra facilities over the district (for load tests).
        #[arg(long, default_value_t = 0)]
        extra_facilities: usize,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Load the demo data set first if the database has no facilities.
    #[arg(long, env = "DEMO")]
    pub demo: bool,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug)]
pub enum NetworkCommand {
    /// Each imported source: tiles, nodes, edges, bounding box (of its tiles) and when.
    List,
    /// Remove the tiles of one source, or every tile overlapping a bounding box.
    Remove {
        #[arg(long, conflicts_with = "bbox")]
        source: Option<String>,
        /// west,south,east,north in degrees (WGS-84).
        #[arg(long, allow_hyphen_values = true)]
        bbox: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A name for the token, recorded with every write it makes.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by the id `token list` shows.
    Revoke { id: i64 },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ImportKind {
    Facilities,
    ResidentialAreas,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportKind {
    Facilities,
    Coverage,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default)]
pub enum CrsArg {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl From<CrsArg> for crate::geo::Crs {
    fn from(c: CrsArg) -> Self {
        match c {
            CrsArg::Wgs84 => Self::Wgs84,
            CrsArg::Gcj02 => Self::Gcj02,
            CrsArg::Bd09 => Self::Bd09,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Editor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    actix_web::rt::System::new().block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command.unwrap_or(Command::Serve(Box::new(ServeArgs::parse_defaults()))) {
        Command::Serve(args) => serve(global, *args).await,
        Command::Token(cmd) => token(&open(&global).await?, cmd).await,
        Command::Import { what, file, actor, crs } => {
            let store = open(&global).await?;
            let result = import(&store, what, &file, &actor, crs.into()).await;
            store.close().await;
            result
        }
        Command::Export { what, format, crs, minutes, output } => {
            let store = open(&global).await?;
            let result = export(&store, what, format, crs, minutes, output.as_deref()).await;
            store.close().await;
            result
        }
        Command::ImportOsm { file, source, memory_mib } => {
            let store = open(&global).await?;
            let result = import_osm(&store, &file, source, memory_mib).await;
            store.close().await;
            result
        }
        Command::Network(cmd) => {
            let store = open(&global).await?;
            let result = network(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Demo { force, extra_facilities } => {
            let store = open(&global).await?;
            load_demo(&store, force).await?;
            if extra_facilities > 0 {
                let n = crate::demo::load_scattered(&store, extra_facilities).await?;
                eprintln!("scattered {n} extra facilities");
            }
            store.close().await;
            Ok(())
        }
    }
}

impl ServeArgs {
    /// The serve arguments when no subcommand was given: defaults, overridden by the environment.
    fn parse_defaults() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["service-circle"]).serve
    }
}

async fn open(global: &GlobalArgs) -> anyhow::Result<Store> {
    Store::connect(&global.database_url, global.max_connections)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&global.database_url)))
}

async fn serve(global: GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo {
        let store = open(&global).await?;
        load_demo(&store, false).await?;
        store.close().await;
    }
    let settings =
        Settings { database_url: global.database_url, max_connections: global.max_connections, ..args.settings };
    let app = Application::build(&settings).await.context("cannot start the server")?;
    println!("listening on http://{}", app.address());
    if let Some(why) = crate::web_assets::missing_scripts() {
        tracing::warn!(%why, "the map page and GraphiQL have no scripts in this build; the API works");
    }
    app.run_until_stopped().await?;
    Ok(())
}

async fn load_demo(store: &Store, force: bool) -> anyhow::Result<()> {
    let existing = store.count_facilities(&Default::default()).await?;
    if existing > 0 && !force {
        eprintln!(
            "the database already has {existing} facilities; demo data not loaded (use `demo --force` to add it anyway)"
        );
        return Ok(());
    }
    let counts = crate::demo::load(store).await?;
    eprintln!(
        "loaded demo data: {} facilities, {} residential areas, a synthetic walking network of {} streets",
        counts.facilities, counts.residential_areas, counts.network_edges
    );
    Ok(())
}

/// Features per batch of a streamed import.
const IMPORT_BATCH: usize = 1_000;

/// Streams the file a batch at a time (a reader thread parses while the batches before are
/// written) into one transaction: memory is a few batches whatever the file's size, and an
/// error or a killed process leaves nothing written.
async fn import(
    store: &Store,
    what: ImportKind,
    file: &std::path::Path,
    actor: &str,
    crs: crate::geo::Crs,
) -> anyhow::Result<()> {
    use crate::app::import::{AreaBatches, FacilityBatches, ImportBatches};
    use crate::graphql::import::{facility_row, residential_area_row};
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} importing: {pos} written ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let progress = |n: u64| bar.inc(n);
    let (batches, mut received) = tokio::sync::mpsc::channel::<Vec<serde_json::Value>>(2);
    let path = file.to_owned();
    let reader = tokio::task::spawn_blocking(move || {
        crate::import_file::stream_features(&path, crs, IMPORT_BATCH, &mut |batch| batches.blocking_send(batch).is_ok())
    });
    let failed = |e: crate::error::ApiError| anyhow::anyhow!("import failed: {e}");
    let mut import = match what {
        ImportKind::Facilities => ImportBatches::Facilities(Box::new(
            FacilityBatches::begin(store, facility_row, actor).await.map_err(failed)?,
        )),
        ImportKind::ResidentialAreas => {
            ImportBatches::Areas(AreaBatches::begin(store, residential_area_row, actor).await.map_err(failed)?)
        }
    };
    while let Some(batch) = received.recv().await {
        import.add(&batch, &progress).await.map_err(failed)?;
    }
    reader.await??;
    let result = import.finish().await.map_err(failed)?;
    bar.finish_and_clear();
    for r in &result.rejected {
        eprintln!("rejected feature {}: {}", r.index, r.reason);
    }
    eprintln!("created {}, updated {}, rejected {}", result.created, result.updated, result.rejected.len());
    Ok(())
}

/// The longest an export's computation may run.
const EXPORT_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Facilities are streamed a page at a time, as `facilityFeatures` gives them (the same feature
/// builder), so memory stays flat whatever the count; coverage is `residentialAreaCoverage`'s
/// use case and features.
async fn export(
    store: &Store,
    what: ExportKind,
    format: crate::export_file::Format,
    crs: CrsArg,
    minutes: f64,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut sink: Box<dyn std::io::Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let count = match what {
        ExportKind::Facilities => {
            use crate::graphql::export::{FACILITY_PROPERTIES, facility_feature};
            let columns: Vec<String> = FACILITY_PROPERTIES.iter().map(|c| (*c).to_owned()).collect();
            let mut writer = crate::export_file::FeatureWriter::new(format, &columns, &mut *sink)?;
            let (mut after, filter) = (None, Default::default());
            loop {
                let (page, more) = store.facility_page(&filter, after, 1_000).await?;
                for facility in &page {
                    writer.write(&facility_feature(facility, crs.into()))?;
                }
                after = page.last().map(|f| f.id.0);
                if !more {
                    break;
                }
            }
            writer.finish()?
        }
        ExportKind::Coverage => {
            use crate::app::coverage::{CoverageQuestion, area_coverage};
            let question = CoverageQuestion {
                filter: Default::default(),
                travel: crate::domain::travel::Travel::default_for(minutes)?,
                scope: Default::default(),
            };
            // A command has no client to be fair to and no request deadline: an hour.
            let deadline = crate::geo::deadline::Deadline::at(std::time::Instant::now() + EXPORT_TIME_LIMIT);
            let pool = crate::planning_pool::PlanningPool::per_core();
            let services = crate::app::Services::new(store, pool, NetworkSettings::default(), deadline);
            let areas = area_coverage(&services, question).await?;
            let collection = crate::graphql::coverage::area_features(&areas, crs.into());
            crate::export_file::write(&collection.0, format, &mut *sink)?;
            areas.len()
        }
    };
    sink.flush()?;
    eprintln!("exported {count} features");
    Ok(())
}

async fn import_osm(
    store: &Store,
    file: &std::path::Path,
    source: Option<String>,
    memory_mib: u32,
) -> anyhow::Result<()> {
    let source = source.unwrap_or_else(|| source_name(file));
    let bar = indicatif::ProgressBar::new_spinner().with_message("reading OpenStreetMap elements");
    let progress = |n: u64| bar.inc(n);
    let memory = memory_mib as usize * 1024 * 1024;
    let read = crate::osm_tiles::read_walking_tiles(file, &source, memory, &progress)?;
    bar.finish_and_clear();
    if read.pieces == 0 {
        anyhow::bail!("{} has no walkable ways; the stored network is unchanged", file.display());
    }
    let (ways, missing) = (read.ways, read.missing_node_refs);
    let info = store.import_walk_network_tiles(&source, read.tiles).await?;
    eprintln!(
        "imported the walking network of {source}: {} nodes, {} edges in {} tiles from {ways} walkable ways ({missing} references to nodes missing from the extract); network revision {}",
        info.node_count, info.edge_count, info.tiles, info.revision
    );
    Ok(())
}

/// An extract's name without its directory and `.osm.pbf`.
fn source_name(file: &std::path::Path) -> String {
    let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    name.strip_suffix(".osm.pbf").or_else(|| name.strip_suffix(".pbf")).unwrap_or(&name).to_owned()
}

async fn network(store: &Store, cmd: NetworkCommand) -> anyhow::Result<()> {
    match cmd {
        NetworkCommand::List => {
            let sources = store.walk_network_sources().await?;
            if sources.is_empty() {
                eprintln!("no walking network is stored");
            }
            for s in sources {
                let (sw, ne) = s.bounds;
                println!(
                    "{}\ttiles {}\tnodes {}\tedges {}\tbbox {:.4},{:.4},{:.4},{:.4}\timported {}",
                    s.source,
                    s.tiles,
                    s.nodes,
                    s.edges,
                    sw.lon,
                    sw.lat,
                    ne.lon,
                    ne.lat,
                    s.imported_at.to_rfc3339()
                );
            }
        }
        NetworkCommand::Remove { source, bbox } => {
            let selection = match (source, bbox) {
                (Some(source), None) => crate::store::NetworkSelection::Source(source),
                (None, Some(b)) => {
                    let corners: Vec<f64> = b.split(',').map(|v| v.trim().parse()).collect::<Result<_, _>>()?;
                    let [w, s, e, n] = corners[..] else {
                        anyhow::bail!("--bbox is west,south,east,north in degrees");
                    };
                    let corner = |lon, lat| crate::geo::LonLat::new(lon, lat);
                    crate::store::NetworkSelection::Bounds(corner(w, s)?, corner(e, n)?)
                }
                _ => anyhow::bail!("give either --source or --bbox"),
            };
            let removed = match store.remove_walk_network(&selection).await {
                Err(crate::store::StoreError::NotFound) => {
                    anyhow::bail!("no stored walking network matches {selection:?}; nothing was removed")
                }
                result => result?,
            };
            eprintln!("removed {removed} tiles (or a source's part of them)");
        }
    }
    Ok(())
}

async fn token(store: &Store, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { role, name } => {
            let (record, secret) = issue_token(store, &name, role.into()).await?;
            eprintln!("created token {} ({}, {}); it is shown only once:", record.id, record.name, record.role.code());
            println!("{secret}");
        }
        TokenCommand::List => {
            for t in store.tokens().await? {
                let state = if t.revoked { "revoked" } else { "active" };
                println!("{}\t{}\t{}\t{}\t{}", t.id, t.name, t.role.code(), t.created_at.to_rfc3339(), state);
            }
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(store.revoke_token(id).await?, "no active token with id {id}");
            eprintln!("revoked token {id}");
        }
    }
    Ok(())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each setting is declared once, by its clap attributes; README's settings table must name
    /// every flag of `serve` (and the global ones) with its environment variable.
    #[test]
    fn readme_lists_every_server_flag_with_its_variable() {
        use clap::CommandFactory;
        let readme = include_str!("../../README.md");
        let command = Cli::command();
        let serve = command.find_subcommand("serve").expect("serve");
        let mut missing = Vec::new();
        for arg in serve.get_arguments().chain(command.get_arguments()) {
            let Some(long) = arg.get_long().filter(|l| !matches!(*l, "help" | "version")) else { continue };
            if !readme.contains(&format!("`--{long}`")) {
                missing.push(format!("--{long}"));
            }
            if let Some(env) = arg.get_env().map(|e| e.to_string_lossy().into_owned())
                && !readme.contains(&format!("`{env}`"))
            {
                missing.push(env);
            }
        }
        assert!(missing.is_empty(), "README's settings table lacks {missing:?}");
    }

    #[test]
    fn a_network_cache_of_zero_or_less_is_refused_at_start() {
        let parse = |v: &str| Cli::try_parse_from(["service-circle", "serve", "--network-cache-mib", v]);
        for bad in ["0", "-5", "lots", "1.5"] {
            let error = parse(bad).expect_err(bad).to_string();
            assert!(error.contains("at least 1"), "{bad}: {error}");
        }
        match parse("64").map(|cli| cli.command) {
            Ok(Some(Command::Serve(args))) => assert_eq!(args.settings.network_cache_mib, 64),
            other => panic!("{other:?}"),
        }
    }
}
