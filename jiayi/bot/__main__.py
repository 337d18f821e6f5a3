from jiayi.bot.cli import main

main()
