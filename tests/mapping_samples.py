"""A small custom mapping of the MOLSW-DSW case lists (four columns), shared by the mapping and ingest tests."""

MOLSW_MAPPING = """
name: molsw_dsw
source: MOLSW-DSW
file_pattern: "*molsw_dsw*"
format: xlsx
encoding: auto
sheet: null
columns:
  record_id: "ລະຫັດ / Case No"
  full_name: "ຊື່ / Name"
  date_of_birth: "DOB"
  province: "Province of origin"
mandatory: [date_of_birth]
buddhist_era: null
"""


def csv_mapping_yaml(name: str, source: str, columns: dict[str, str], setting: str = "") -> str:
    """A CSV mapping of one source for files named ``*<name>*``, with ``setting`` (a YAML line) added."""
    lines = [f"name: {name}", f"source: {source}", f'file_pattern: "*{name}*"', "format: csv", "columns:"]
    lines += [f"  {column}: {header}" for column, header in columns.items()]
    return "\n".join([*lines, setting, ""])


def write_csv_mapping(directory, name: str, source: str, columns: dict[str, str], setting: str = "") -> None:
    """``<directory>/<name>.yaml`` holding ``csv_mapping_yaml(...)``."""
    (directory / f"{name}.yaml").write_text(csv_mapping_yaml(name, source, columns, setting), encoding="utf-8")
