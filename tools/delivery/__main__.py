from tools.delivery.cli import app

app(prog_name="python -m tools.delivery")
