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
