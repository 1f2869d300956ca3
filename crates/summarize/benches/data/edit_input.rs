//! A small inventory of parts with reorder rules.

use std::collections::HashMap;

/// One stocked part.
#[derive(Debug, Clone)]
pub struct Part {
    pub code: String,
    pub name: String,
    pub on_hand: u32,
    pub reorder_level: u32,
    pub reorder_quantity: u32,
}

/// All parts, by code.
#[derive(Debug, Default)]
pub struct Inventory {
    parts: HashMap<String, Part>,
}

impl Inventory {
    /// Adds a part, replacing any part with the same code.
    pub fn add(&mut self, part: Part) {
        self.parts.insert(part.code.clone(), part);
    }

    /// Takes `count` units of a part out of stock; returns false if there are not enough.
    pub fn take(&mut self, code: &str, count: u32) -> bool {
        match self.parts.get_mut(code) {
            Some(part) if part.on_hand >= count => {
                part.on_hand -= count;
                true
            }
            _ => false,
        }
    }

    /// Parts whose stock is at or below their reorder level.
    pub fn needs_reorder(&self) -> Vec<&Part> {
        let mut low: Vec<&Part> = self
            .parts
            .values()
            .filter(|p| p.on_hand <= p.reorder_level)
            .collect();
        low.sort_by(|a, b| a.code.cmp(&b.code));
        low
    }

    /// The total number of units to order now.
    pub fn order_total(&self) -> u32 {
        self.needs_reorder().iter().map(|p| p.reorder_quantity).sum()
    }
}
