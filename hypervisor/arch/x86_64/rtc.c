/* The wall clock at boot from the CMOS real-time clock (MC146818A; QEMU's RTC). */
#include <arch/io.h>
#include <arch/time.h>

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define RTC_SECONDS     0x00
#define RTC_MINUTES     0x02
#define RTC_HOURS       0x04
#define RTC_DAY         0x07
#define RTC_MONTH       0x08
#define RTC_YEAR        0x09
#define RTC_STATUS_A    0x0a
#define RTC_STATUS_B    0x0b
#define RTC_CENTURY     0x32 /* the ACPI FADT's usual century register */
#define STATUS_A_UIP    0x80
#define STATUS_B_BINARY 0x04
#define STATUS_B_24H    0x02

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned int from_bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian; month 1-12). */
static uint64_t days_since_epoch(unsigned int year, unsigned int month, unsigned int day)
{
    /* Count from March so the leap day is last (a well-known civil-from-days method). */
    int y = (int)year - (month <= 2);
    unsigned int m = month <= 2 ? month + 9 : month - 3;
    int era = y / 400;
    unsigned int yoe = (unsigned int)(y - era * 400);
    unsigned int doy = (153 * m + 2) / 5 + day - 1;
    unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)(era * 146097 + (int)doe - 719468);
}

uint64_t rtc_read_unix_seconds(void)
{
    uint8_t sec, min, hour, day, mon, year, cent, b;

    /* Wait out an update in progress, then read (the update takes under 2 ms). */
    for (unsigned int i = 0; i < 1000000 && (cmos_read(RTC_STATUS_A) & STATUS_A_UIP); i++)
        ;
    sec = cmos_read(RTC_SECONDS);
    min = cmos_read(RTC_MINUTES);
    hour = cmos_read(RTC_HOURS);
    day = cmos_read(RTC_DAY);
    mon = cmos_read(RTC_MONTH);
    year = cmos_read(RTC_YEAR);
    cent = cmos_read(RTC_CENTURY);
    b = cmos_read(RTC_STATUS_B);

    bool binary = b & STATUS_B_BINARY;
    bool pm = !(b & STATUS_B_24H) && (hour & 0x80);
    unsigned int h = from_bcd(hour & 0x7f, binary);
    if (!(b & STATUS_B_24H))
        h = (h % 12) + (pm ? 12 : 0);
    unsigned int c = from_bcd(cent, binary);
    unsigned int y = from_bcd(year, binary) + (c >= 19 && c <= 30 ? c * 100 : 2000);

    return days_since_epoch(y, from_bcd(mon, binary), from_bcd(day, binary)) * 86400 + h * 3600 +
           from_bcd(min, binary) * 60 + from_bcd(sec, binary);
}
