# La mail di conferma (SPEC §5). Variabili: $case, $due.
mail-confirmation-subject = [{ $case }] Abbiamo ricevuto la tua richiesta
mail-greeting = Ciao,
mail-received = abbiamo ricevuto la tua richiesta di assistenza. Il numero del caso è { $case }.
mail-first-response = Riceverai una prima risposta entro { $due }.
mail-expected = Viste le richieste prima della tua, contiamo di rispondere verso { $when }.
mail-missing-intro = Per ricevere una risposta più rapida, aggiungi queste informazioni:
mail-status-intro = Segui la tua richiesta, e aggiungi informazioni o screenshot, qui:
mail-reply-hint = Puoi anche rispondere a questa e-mail: la tua risposta verrà aggiunta al caso.
mail-warning = L'assistenza non chiede mai il codice di verifica né pagamenti, e non ha un numero di telefono. Chi lo fa non siamo noi.
# Cosa manca ancora a un caso aperto per e-mail (i campi del catalogo hanno le loro etichette).
mail-missing-phone = il tuo numero di telefono con il prefisso internazionale (per esempio +39 345 123 4567)
mail-missing-device = modello e sistema del telefono (per esempio iPhone 14, iOS 17.1)
mail-missing-description = una descrizione del problema: cosa hai fatto, cosa ti aspettavi, cosa è successo
# La mail a chi ha inviato una nuova richiesta mentre il suo caso è ancora aperto (SPEC §3.3). Variabili: $case.
mail-merged-subject = [{ $case }] La tua nuova richiesta è stata aggiunta al tuo caso aperto
mail-merged-body = Abbiamo ricevuto un'altra richiesta da questo indirizzo mentre il tuo caso { $case } è ancora aperto, quindi l'abbiamo aggiunta a quel caso invece di aprirne uno nuovo.
mail-reply-subject = Re: [{ $case }] La tua richiesta di assistenza
mail-reply-signature = { $agent }, Assistenza
mail-request-info = Per proseguire con la tua richiesta ci servono altre informazioni. Rispondi a questa e-mail, o aggiungile nella pagina della tua richiesta, indicando:
mail-invitation-subject = Il tuo account sul desk di assistenza
mail-invitation-greeting = Ciao { $name },
mail-invitation-body = { $by } ti ha invitato a rispondere ai clienti sul desk di assistenza. Scegli qui la tua password per accedere:
mail-invitation-expiry = Il link funziona una volta, per 7 giorni. Se non aspettavi questa e-mail, ignorala.
mail-mention-subject = [{ $case }] Sei stato menzionato in una nota
mail-mention-body = { $author } ti ha menzionato in una nota interna su { $case }:
mail-breach-subject = [{ $case }] Un obiettivo di servizio è stato mancato
mail-breach-body = { $case } ha mancato l'obiettivo di { $target } ed è ancora aperto.
mail-breach-first-response = prima risposta
mail-breach-resolution = risoluzione
mail-webhook-disabled-subject = Un endpoint webhook è stato disattivato
mail-webhook-disabled-body = Tutte le consegne a { $url } sono fallite per 24 ore, quindi Sportello ha smesso di inviarle. Qui sotto l'ultimo errore; riattiva l'endpoint quando risponde di nuovo.

mail-resolution-subject = [{ $case }] Il tuo caso è risolto
mail-resolution-body = Consideriamo risolto il tuo caso { $case }.
mail-resolution-question = Come ci siamo comportati? Basta un clic; dopo puoi aggiungere un commento.
mail-resolution-good = Bene, il mio problema è risolto
mail-resolution-bad = Male, non sono soddisfatto
mail-resolution-reopen = Non è risolto? Entro 7 giorni aggiungi un messaggio nella pagina del tuo caso e si riapre:
