from akscan.cli import run

run()
