//! The virt machine's PL011 UART, for the report (QEMU connects it to stdio).

use core::fmt;
use core::ptr::{read_volatile, write_volatile};

const BASE: usize = 0x0900_0000;
const DR: usize = 0x00;
const FR: usize = 0x18;
const FR_TXFF: u32 = 1 << 5;

/// The UART as a `fmt::Write`.
pub struct Uart;

impl Uart {
    fn put(&mut self, byte: u8) {
        // SAFETY: the PL011's data and flag registers, device memory with the MMU off.
        unsafe {
            while read_volatile((BASE + FR) as *const u32) & FR_TXFF != 0 {}
            write_volatile((BASE + DR) as *mut u32, u32::from(byte));
        }
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
        Ok(())
    }
}

/// Prints to the UART.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::uart::Uart, format_args!($($arg)*));
    }};
}

/// Prints a line to the UART.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        $crate::print!($($arg)*);
        $crate::print!("\n");
    }};
}
