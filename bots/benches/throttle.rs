//! `cargo bench -p valgvagt-bots`: sends messages to many chats at once
//! through the throttled bot into the fake Bot API, and prints how they
//! arrived: all of them, at most about 30 in any second, and at least a
//! second apart within one chat.

use std::time::{Duration, Instant};

use valgvagt_bots::telegram::fake::FakeTelegram;
use valgvagt_bots::telegram::{OutgoingChat, TelegramBot};

const CHATS: i64 = 60;
const PER_CHAT: usize = 3;

#[tokio::main]
async fn main() {
    let fake = FakeTelegram::start("1:bench").await.expect("fake Bot API");
    let bot = TelegramBot::connect("1:bench", Some(&fake.api_url()))
        .await
        .expect("bot");
    let started = Instant::now();
    let mut sends = Vec::new();
    for round in 0..PER_CHAT {
        for chat in 1..=CHATS {
            let bot = bot.clone();
            sends.push(tokio::spawn(async move {
                let text = format!("message {round} to chat {chat}");
                bot.send(&OutgoingChat {
                    chat_id: chat,
                    text: &text,
                    buttons: &[],
                })
                .await
            }));
        }
    }
    let mut failed = 0;
    for s in sends {
        if !matches!(s.await, Ok(Ok(_))) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed();
    let arrivals = fake.arrivals();
    let busiest = arrivals
        .iter()
        .map(|(_, at)| {
            arrivals
                .iter()
                .filter(|(_, b)| *b >= *at && *b < *at + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    let closest = (1..=CHATS)
        .filter_map(|chat| {
            let times: Vec<Instant> = arrivals
                .iter()
                .filter(|(c, _)| *c == chat)
                .map(|(_, t)| *t)
                .collect();
            times.windows(2).map(|w| w[1] - w[0]).min()
        })
        .min()
        .unwrap_or_default();
    let sent = CHATS as usize * PER_CHAT;
    println!("telegram throttle: {sent} messages to {CHATS} chats sent at once");
    println!("  arrived          {} ({failed} failed)", arrivals.len());
    println!("  took             {:.1} s", elapsed.as_secs_f64());
    println!(
        "  overall          {:.1} messages/s",
        arrivals.len() as f64 / elapsed.as_secs_f64()
    );
    println!("  busiest second   {busiest} messages (Telegram allows about 30)");
    println!(
        "  closest in chat  {:.2} s apart (Telegram allows one a second)",
        closest.as_secs_f64()
    );
}
