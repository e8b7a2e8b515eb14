from explorer.cli import main

if __name__ == "__main__":  # `python -m explorer`; never on import
    main(prog_name="explorer")
