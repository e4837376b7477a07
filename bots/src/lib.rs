//! valgvagt's chat front door, kept apart from the engine: it turns chat
//! updates into events the engine handles the way it handles a received
//! SMS, and outbox messages into chat API calls, and nothing more.

pub mod telegram;
