//! Overture's demo game: explore a calm field, enemies close in (the music
//! tenses and the fight layers come in with their number and nearness), a
//! boss, victory. Pickups play stingers; the game's own sound effects go
//! through bevy_kira_audio beside the music.
//!
//! With a display it opens a window and plays through the sound device:
//! arrows or WASD move, space strikes nearby enemies, 1–5 force a mood
//! (0 gives control back to the rules), H shows the help.
//!
//! Without a display, or with `--headless`, it plays a scripted three-minute
//! session through the offline backend and writes `target/demo/session.wav`
//! and `target/demo/timeline.png` (mood and intensity over time, bar lines,
//! transitions, waveform).
//!
//! ```text
//! cargo run --example demo               # a window, if there is a display
//! cargo run --example demo -- --headless # the scripted session to files
//! ```

use std::path::{Path, PathBuf};

use bevy::{asset::AssetPlugin, prelude::*};
use bevy_kira_audio::{AudioControl, AudioPlugin, AudioSource};
use overture::{
    bevy::{MusicBackend, messages::*},
    engine::GeneratorMode,
    prelude::*,
};

const MOODS: [&str; 5] = ["explore", "tension", "combat", "boss", "victory"];

fn main() {
    let headless = std::env::args().any(|a| a == "--headless")
        || (std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none());
    if headless {
        if let Err(e) = headless_session() {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    } else {
        windowed();
    }
}

fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

// ---------------------------------------------------------------------------
// The windowed game.

#[derive(Component)]
struct Player;

#[derive(Component)]
struct Enemy {
    health: i32,
    boss: bool,
}

#[derive(Component)]
struct Pickup;

#[derive(Component)]
struct Hud;

#[derive(Component)]
struct Help;

#[derive(Resource, Default)]
struct Game {
    kills: u32,
    boss_spawned: bool,
    won: bool,
    spawn_timer: f32,
    pickup_timer: f32,
    seed: u32,
}

impl Game {
    fn random(&mut self) -> f32 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        (self.seed >> 8) as f32 / (1u32 << 24) as f32
    }
}

#[derive(Resource)]
struct Sfx(Handle<AudioSource>);

fn windowed() {
    App::new()
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "Overture demo".into(),
                        resolution: (1000, 700).into(),
                        ..default()
                    }),
                    ..default()
                })
                .set(AssetPlugin {
                    file_path: assets_dir().display().to_string(),
                    ..default()
                }),
        )
        .add_plugins(AudioPlugin)
        .add_plugins(OverturePlugin {
            mood_map: "moodmaps/demo.moodmap.ron".into(),
            cache_bytes: 256 * 1024 * 1024,
            ..default()
        })
        .insert_resource(Game {
            seed: 0x9e37_79b9,
            spawn_timer: 6.0,
            pickup_timer: 3.0,
            ..default()
        })
        .add_systems(Startup, setup)
        .add_systems(
            Update,
            (
                move_player,
                spawn_things,
                chase,
                strike,
                collect,
                game_signals.before(OvertureSystems::Select),
                audition,
                hud,
                screenshot_and_exit,
            ),
        )
        .run();
}

/// With `OVERTURE_DEMO_SCREENSHOT=path`, saves a screenshot of the window
/// after eight seconds of play (enemies and a pickup on the field) and exits (used by the Xvfb test and the README).
fn screenshot_and_exit(
    mut commands: Commands,
    time: Res<Time>,
    mut taken: Local<bool>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(path) = std::env::var_os("OVERTURE_DEMO_SCREENSHOT") else {
        return;
    };
    let path = PathBuf::from(path);
    if !*taken && time.elapsed_secs() > 8.0 {
        *taken = true;
        info!("saving a screenshot to {}", path.display());
        commands
            .spawn(bevy::render::view::screenshot::Screenshot::primary_window())
            .observe(bevy::render::view::screenshot::save_to_disk(path.clone()));
    }
    if *taken && path.exists() {
        exit.write(AppExit::Success);
    }
}

fn setup(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn(Camera2d);
    commands.spawn((
        Player,
        MusicListener,
        Sprite::from_color(Color::srgb(0.3, 0.7, 1.0), Vec2::splat(28.0)),
        Transform::default(),
    ));
    commands.insert_resource(Sfx(assets.load("sfx/pickup.wav")));
    commands.spawn((
        Hud,
        Text::new(""),
        TextFont::from_font_size(16.0),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(12.0),
            top: Val::Px(10.0),
            ..default()
        },
    ));
    commands.spawn((
        Help,
        Text::new(
            "Overture demo\n\narrows/WASD  move\nspace       strike nearby enemies\n\
             1-5         force explore, tension, combat, boss, victory\n\
             0           back to the rules\nH           hide this help\n\n\
             Enemies raise the threat; ten strikes bring the boss.\nYellow pickups play a stinger.",
        ),
        TextFont::from_font_size(16.0),
        Node {
            position_type: PositionType::Absolute,
            right: Val::Px(12.0),
            top: Val::Px(10.0),
            ..default()
        },
    ));
}

fn move_player(
    keys: Res<ButtonInput<KeyCode>>,
    time: Res<Time>,
    mut player: Query<&mut Transform, With<Player>>,
) {
    let mut dir = Vec2::ZERO;
    for (key, d) in [
        (KeyCode::ArrowLeft, Vec2::NEG_X),
        (KeyCode::KeyA, Vec2::NEG_X),
        (KeyCode::ArrowRight, Vec2::X),
        (KeyCode::KeyD, Vec2::X),
        (KeyCode::ArrowUp, Vec2::Y),
        (KeyCode::KeyW, Vec2::Y),
        (KeyCode::ArrowDown, Vec2::NEG_Y),
        (KeyCode::KeyS, Vec2::NEG_Y),
    ] {
        if keys.pressed(key) {
            dir += d;
        }
    }
    for mut t in &mut player {
        t.translation += (dir.normalize_or_zero() * 260.0 * time.delta_secs()).extend(0.0);
        t.translation = t
            .translation
            .clamp(Vec3::new(-480.0, -330.0, 0.0), Vec3::new(480.0, 330.0, 0.0));
    }
}

fn spawn_things(
    mut commands: Commands,
    time: Res<Time>,
    mut game: ResMut<Game>,
    enemies: Query<&Enemy>,
) {
    if game.won {
        return;
    }
    game.spawn_timer -= time.delta_secs();
    game.pickup_timer -= time.delta_secs();
    if game.spawn_timer <= 0.0 && enemies.iter().count() < 12 && !game.boss_spawned {
        game.spawn_timer = 2.5;
        let angle = game.random() * std::f32::consts::TAU;
        commands.spawn((
            Enemy {
                health: 1,
                boss: false,
            },
            ThreatSource {
                weight: 0.35,
                radius: 420.0,
            },
            Sprite::from_color(Color::srgb(0.9, 0.25, 0.25), Vec2::splat(22.0)),
            Transform::from_xyz(angle.cos() * 560.0, angle.sin() * 400.0, 0.0),
        ));
    }
    if game.kills >= 10 && !game.boss_spawned {
        game.boss_spawned = true;
        commands.spawn((
            Enemy {
                health: 8,
                boss: true,
            },
            ThreatSource {
                weight: 1.0,
                radius: 700.0,
            },
            Sprite::from_color(Color::srgb(0.6, 0.1, 0.5), Vec2::splat(70.0)),
            Transform::from_xyz(0.0, 380.0, 0.0),
        ));
    }
    if game.pickup_timer <= 0.0 {
        game.pickup_timer = 7.0;
        let (x, y) = (game.random() * 900.0 - 450.0, game.random() * 600.0 - 300.0);
        commands.spawn((
            Pickup,
            Sprite::from_color(Color::srgb(1.0, 0.85, 0.2), Vec2::splat(14.0)),
            Transform::from_xyz(x, y, 0.0),
        ));
    }
}

fn chase(
    time: Res<Time>,
    player: Query<&Transform, With<Player>>,
    mut enemies: Query<(&mut Transform, &Enemy), Without<Player>>,
) {
    let Ok(p) = player.single() else { return };
    for (mut t, e) in &mut enemies {
        let speed = if e.boss { 45.0 } else { 70.0 };
        let to = (p.translation - t.translation).truncate();
        if to.length() > 30.0 {
            t.translation += (to.normalize() * speed * time.delta_secs()).extend(0.0);
        }
    }
}

fn strike(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    mut game: ResMut<Game>,
    player: Query<&Transform, With<Player>>,
    mut enemies: Query<(Entity, &Transform, &mut Enemy)>,
) {
    if !keys.just_pressed(KeyCode::Space) {
        return;
    }
    let Ok(p) = player.single() else { return };
    for (entity, t, mut e) in &mut enemies {
        if t.translation.distance(p.translation) < if e.boss { 90.0 } else { 70.0 } {
            e.health -= 1;
            if e.health <= 0 {
                commands.entity(entity).despawn();
                game.kills += 1;
                if e.boss {
                    game.won = true;
                }
            }
        }
    }
}

fn collect(
    mut commands: Commands,
    player: Query<&Transform, With<Player>>,
    pickups: Query<(Entity, &Transform), With<Pickup>>,
    sfx: Res<Sfx>,
    audio: Res<bevy_kira_audio::Audio>,
) {
    let Ok(p) = player.single() else { return };
    for (entity, t) in &pickups {
        if t.translation.distance(p.translation) < 24.0 {
            commands.entity(entity).despawn();
            commands.write_message(PlayStinger("pickup".into()));
            audio.play(sfx.0.clone());
        }
    }
}

fn game_signals(game: Res<Game>, enemies: Query<&Enemy>, mut signals: ResMut<MusicSignals>) {
    let boss = enemies.iter().any(|e| e.boss);
    signals
        .set_flag("boss_active", boss)
        .set_flag("victory", game.won);
}

fn audition(
    keys: Res<ButtonInput<KeyCode>>,
    mut commands: Commands,
    mut help: Query<&mut Visibility, With<Help>>,
) {
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
    ];
    for (key, mood) in digits.iter().zip(MOODS) {
        if keys.just_pressed(*key) {
            commands.write_message(OverrideMood(Some(mood.into())));
        }
    }
    if keys.just_pressed(KeyCode::Digit0) {
        commands.write_message(OverrideMood(None));
    }
    if keys.just_pressed(KeyCode::KeyH) {
        for mut v in &mut help {
            v.toggle_visible_hidden();
        }
    }
}

fn hud(state: Res<MusicState>, game: Res<Game>, mut text: Query<&mut Text, With<Hud>>) {
    let s = &state.status;
    let next = match &s.scheduled {
        Some(t) => format!(
            "{} in {:.1} s",
            t.to,
            t.at.saturating_sub(s.position) as f64 / f64::from(state.sample_rate.max(1))
        ),
        None => "none".into(),
    };
    let line = format!(
        "mood {} (rules: {})\nintensity {:.2}\nbar {}:{}  {:.0} BPM\nnext transition {}\n\
         cache {:.1} MB, {} pieces, hit rate {:.0}%\nmisses {}  generated {} (last {:.0} ms)\n\
         output {}\nkills {}{}",
        s.mood.as_deref().unwrap_or("(starting)"),
        state.selected.as_deref().unwrap_or("-"),
        state.intensity,
        s.bar,
        s.beat,
        s.bpm,
        next,
        state.stats.cache.bytes as f64 / 1e6,
        state.stats.cache.pieces,
        state.stats.cache.hit_rate() * 100.0,
        state.stats.misses,
        state.stats.generator.made,
        state.stats.generator.last_latency.as_secs_f64() * 1e3,
        if state.audible {
            "sound device"
        } else {
            "silent (no device)"
        },
        game.kills,
        if game.won { "  VICTORY" } else { "" },
    );
    for mut t in &mut text {
        **t = line.clone();
    }
}

// ---------------------------------------------------------------------------
// The headless session.

const SR: u32 = 48_000;
const FPS: u32 = 60;
const SECONDS: u32 = 180;

/// What the scripted player does at second `t`: (enemies near, threat,
/// health, boss, victory, pickup this second).
fn script(t: f64) -> (f64, f64, f64, bool, bool, bool) {
    let ramp = |a: f64, b: f64| ((t - a) / (b - a)).clamp(0.0, 1.0);
    let enemies = if t < 30.0 {
        0.0
    } else if t < 120.0 {
        2.0 + 10.0 * ramp(30.0, 70.0)
    } else {
        0.0
    };
    let threat = if t < 45.0 {
        0.0
    } else if t < 120.0 {
        0.3 + 0.6 * ramp(45.0, 60.0) - 0.4 * ramp(95.0, 110.0)
    } else {
        0.9
    };
    let health = 1.0 - 0.5 * ramp(60.0, 150.0);
    let boss = (120.0..160.0).contains(&t);
    let victory = t >= 160.0;
    let pickup = [12.0, 24.0, 52.0, 100.0, 135.0, 170.0]
        .iter()
        .any(|p| (t - p).abs() < 0.5 / f64::from(FPS));
    (enemies, threat, health, boss, victory, pickup)
}

struct Timeline {
    moods: Vec<(f64, String)>,
    intensity: Vec<(f64, f32)>,
    transitions: Vec<f64>,
    bars: Vec<f64>,
    stingers: Vec<f64>,
}

fn headless_session() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/demo");
    std::fs::create_dir_all(&out_dir)?;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: assets_dir().display().to_string(),
            ..default()
        },
        bevy::log::LogPlugin::default(),
        OverturePlugin {
            mood_map: "moodmaps/demo.moodmap.ron".into(),
            backend: MusicBackend::Offline {
                sample_rate: SR,
                block_size: 512,
            },
            generation: GeneratorMode::Inline,
            cache_bytes: 256 * 1024 * 1024,
            ..default()
        },
    ));
    // Game time advances one frame per update, however fast the machine renders.
    app.insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(
        std::time::Duration::from_secs_f64(1.0 / f64::from(FPS)),
    ));
    let frame = (SR / FPS) as usize;
    let mut left = Vec::with_capacity((SR * SECONDS) as usize);
    let mut right = Vec::with_capacity((SR * SECONDS) as usize);
    let mut timeline = Timeline {
        moods: Vec::new(),
        intensity: Vec::new(),
        transitions: Vec::new(),
        bars: Vec::new(),
        stingers: Vec::new(),
    };
    let frames = SECONDS * FPS;
    println!(
        "Playing a scripted {SECONDS} s session offline (composing with the shipped model as it goes)..."
    );
    for i in 0..frames {
        let t = f64::from(i) / f64::from(FPS);
        let (enemies, threat, health, boss, victory, pickup) = script(t);
        {
            let world = app.world_mut();
            let mut signals = world.resource_mut::<MusicSignals>();
            signals
                .set("enemies_near", enemies)
                .set("threat", threat)
                .set("health", health)
                .set_flag("boss_active", boss)
                .set_flag("victory", victory);
            if pickup {
                world.write_message(PlayStinger("pickup".into()));
            }
        }
        app.update();
        let world = app.world_mut();
        if let Some(m) = world
            .resource_mut::<Messages<MoodMapInvalid>>()
            .drain()
            .next()
        {
            return Err(m.error.into());
        }
        let secs = |sample: u64| sample as f64 / f64::from(SR);
        for m in world.resource_mut::<Messages<MoodChanged>>().drain() {
            timeline.moods.push((secs(m.at_sample), m.to.clone()));
            timeline.transitions.push(secs(m.at_sample));
        }
        for m in world.resource_mut::<Messages<StingerPlayed>>().drain() {
            let _ = m;
            timeline.stingers.push(t);
        }
        world
            .resource_mut::<Messages<Bar>>()
            .drain()
            .for_each(|_| timeline.bars.push(t));
        let intensity = world.resource::<MusicState>().intensity;
        timeline.intensity.push((t, intensity));
        let audio = world
            .resource_mut::<Music>()
            .render_offline(frame)
            .ok_or("the offline backend renders")?;
        left.extend_from_slice(&audio.left);
        right.extend_from_slice(&audio.right);
        if i % (FPS * 15) == 0 {
            println!(
                "  {:>3} s  {}",
                i / FPS,
                world
                    .resource::<MusicState>()
                    .status
                    .mood
                    .as_deref()
                    .unwrap_or("(starting)")
            );
        }
    }
    let stats = app.world().resource::<MusicState>().stats;
    let wav = out_dir.join("session.wav");
    let audio = StereoBuffer { left, right };
    overture::synth::wav::write_wav(
        &wav,
        &audio,
        SR,
        &overture::synth::wav::WavInfo {
            title: "Overture demo session".into(),
            software: format!("overture {}", env!("CARGO_PKG_VERSION")),
            comment:
                "model=pop909-small; mood map=moodmaps/demo.moodmap.ron; scripted 180 s session"
                    .into(),
            genre: "session".into(),
        },
    )?;
    let png = out_dir.join("timeline.png");
    draw_timeline(&png, &timeline, &audio)?;
    println!(
        "\n{} transitions, {} stingers, {} misses, {} pieces composed\nsession: {}\ntimeline: {}",
        stats.transitions,
        stats.stingers,
        stats.misses,
        stats.generator.made,
        wav.display(),
        png.display()
    );
    Ok(())
}

fn mood_colour(mood: &str) -> plotters::style::RGBColor {
    use plotters::style::RGBColor;
    match mood {
        "explore" => RGBColor(120, 190, 120),
        "tension" => RGBColor(220, 190, 90),
        "combat" => RGBColor(220, 110, 80),
        "boss" => RGBColor(150, 70, 160),
        "victory" => RGBColor(90, 160, 230),
        _ => RGBColor(180, 180, 180),
    }
}

fn draw_timeline(
    path: &Path,
    tl: &Timeline,
    audio: &StereoBuffer,
) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
    let _ = plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, FONT);
    let end = f64::from(SECONDS);
    let root = BitMapBackend::new(path, (1600, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(420);
    let mut chart = ChartBuilder::on(&top)
        .caption(
            "Overture demo: mood, intensity, bars and transitions",
            ("sans-serif", 22),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..end, 0.0..1.1)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("intensity")
        .disable_mesh()
        .draw()?;
    // Mood bands.
    for (i, (start, mood)) in tl.moods.iter().enumerate() {
        let stop = tl.moods.get(i + 1).map_or(end, |m| m.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(*start, 0.0), (stop, 1.1)],
            mood_colour(mood).mix(0.35).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            mood.clone(),
            (*start + 0.5, 1.05),
            ("sans-serif", 16),
        )))?;
    }
    for &b in &tl.bars {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(b, 0.0), (b, 0.05)],
            BLACK.mix(0.4),
        )))?;
    }
    for &t in &tl.transitions {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(t, 0.0), (t, 1.1)],
            RED.stroke_width(2),
        )))?;
    }
    for &s in &tl.stingers {
        chart.draw_series(std::iter::once(Circle::new((s, 0.1), 5, YELLOW.filled())))?;
    }
    chart.draw_series(LineSeries::new(
        tl.intensity.iter().map(|(t, i)| (*t, f64::from(*i))),
        BLUE.stroke_width(2),
    ))?;
    // Waveform (min and max per column).
    let mut wave = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..end, -1.0..1.0)?;
    wave.configure_mesh()
        .x_desc("seconds")
        .y_desc("waveform")
        .disable_mesh()
        .draw()?;
    let columns = 1500;
    let per = (audio.left.len() / columns).max(1);
    let spans = audio.left.chunks(per).enumerate().map(|(i, c)| {
        let (lo, hi) = c
            .iter()
            .fold((0f32, 0f32), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let t = (i * per) as f64 / f64::from(SR);
        PathElement::new(
            vec![(t, f64::from(lo)), (t, f64::from(hi))],
            RGBColor(60, 60, 120),
        )
    });
    wave.draw_series(spans)?;
    for &t in &tl.transitions {
        wave.draw_series(std::iter::once(PathElement::new(
            vec![(t, -1.0), (t, 1.0)],
            RED.stroke_width(2),
        )))?;
    }
    root.present()?;
    Ok(())
}
