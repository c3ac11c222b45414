from verifier.main import main

main()
