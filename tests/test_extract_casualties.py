"""Casualty figures and places on short news texts: headlines, several joined by ';'."""

from __future__ import annotations

from workers.extract import extract_events
from workers.extract.casualties import casualties
from workers.records import Document


def top(text: str):
    events = extract_events(Document(text=text, doc_id="t"))
    assert events, text
    return max(events, key=lambda e: e.confidence)


def dead(sentence: str) -> int | None:
    return casualties(sentence).fatalities


def test_a_couple_and_a_dozen_are_numbers():
    assert dead("Gunmen execute a couple in the market town") == 2
    assert dead("Soldiers killed a dozen villagers") == 12


def test_two_counts_of_one_toll_are_added():
    assert dead("Two soldiers and three police officers were killed in the ambush") == 5
    assert dead("Two soldiers and a civilian were killed") == 3
    assert dead("3 killed and 4 wounded in the attack") == 3


def test_a_later_number_is_read_when_the_first_gap_fails():
    """The first number's phrase is rejected; the next number still counts."""
    assert dead("4 gunmen arrested after they executed 2 men") == 2


def test_a_date_before_the_subject_is_no_count():
    assert dead("On 9 May 2015 gunmen killed 5 villagers") == 5


def test_victims_tortured_and_then_killed():
    assert dead("Five tortured and executed in the streets of the city") == 5


def test_single_victims_without_a_number():
    assert dead("They kill him and leave his body on a wall") == 1
    assert dead("Drone strike kills soldier near the border") == 1
    assert dead("Troops shoot man dead at a checkpoint") == 1
    assert dead("Gunmen assassinate a union leader") == 1
    assert dead("Nephew of cartel boss gunned down outside his home") == 1
    # Plural victims with no number stay unknown.
    assert dead("Drone strike kills rebel fighters near the border") is None


def test_casualties_with_an_adjective_and_remains():
    assert dead("Airstrikes leave 10 civilian casualties") == 10
    assert dead("Remains of five people found in plastic bags") == 5
    assert dead("Drug-cartel wars claim five more victims") == 5


def test_running_total_is_cut_not_the_own_toll():
    text = "Massacre kills 14 citizens and raises the death toll to 225 during 8 days of shelling"
    assert dead(text) == 14
    assert dead("The war has killed 5,000 people since 2011") is None


def test_mixed_language_headlines_are_each_read():
    """A French headline beside an English boilerplate title still gives its toll and place."""
    e = top(
        "Central African Republic MARCH 2022;RCA : nouveau massacre à Gordile, dans la "
        "Vakaga, au moins 15 personnes tuées;Monthly Report: Human Rights Situation March 2022"
    )
    assert (e.fatalities, e.location.country) == (15, "CF")


def test_headline_with_a_toll_and_no_place_is_an_event():
    e = top("He comes to collect the rent and finds two corpses in bags")
    assert e.fatalities == 2 and e.location.country is None


def test_town_abroad_needs_its_own_name():
    """'Abo' is a Swedish name of Turku: no Finnish town in a report about Syria."""
    e = top("Barrel bombs hit the airbase of Abo al-Dohur and clashes erupt in Damascus, Syria")
    assert e.location.country == "SY"


def test_word_of_a_longer_name_is_no_town():
    """'Sur' of 'Prados del Sur' (a neighbourhood) is not Tyre, Lebanon."""
    e = top("Gunmen kill a young man in Prados del Sur, Culiacan, Sinaloa")
    assert e.location.country == "MX"
    assert e.fatalities == 1


def test_hanged_victims_are_dead_and_a_hung_picture_is_not():
    """'Two men hung from a bridge' is two deaths; 'hung on the wall' is none."""
    from workers.extract.casualties import casualties

    assert casualties("Two men hung from a bridge in Cuernavaca, Morelos").fatalities == 2
    assert casualties("Three men were hanged by militants in Kunduz").fatalities == 3
    assert casualties("The painting was hung on the wall of the museum").fatalities is None


def test_commander_abbreviation_does_not_end_the_sentence():
    """'Cmdr. Parago' is one sentence."""
    from workers.extract.engine import split_sentences

    assert len(split_sentences("Rebels say Cmdr. Parago was killed near Davao on Monday.")) == 1


def test_victim_named_without_article_or_by_a_body():
    """A headline's bare noun after 'Place:', a dead adjective, a body found: one victim."""
    from workers.extract.casualties import casualties

    assert casualties("Veracruz: 8 Year Old Killed In Crossfire").fatalities == 1
    assert casualties("Decapitated man found in a car in Monterrey").fatalities == 1
    assert casualties("Locals find body of young man near the refinery").fatalities == 1
    assert casualties("Woman, child killed after triggering explosive device").fatalities == 2
    assert casualties("Hooded men shoot teacher and 15-year-old son to death").fatalities == 2
    assert casualties("The governing body of the league met on Monday").fatalities is None


def test_a_threatened_or_tried_killing_is_no_death():
    from workers.extract.casualties import casualties

    threat = "He pleaded guilty to threatening to assault and murder a United States official"
    assert casualties(threat).fatalities is None
    assert casualties("Militants threatened to kill 3 hostages").fatalities is None
    assert casualties("Gunmen kill a judge in Kabul").fatalities == 1


def test_dead_and_wounded_together_give_no_count_of_the_dead():
    """ACLED: '6 killed and injured' or '10 casualties and injuries' leave the dead unknown."""
    from workers.extract.casualties import casualties

    both = casualties("6 people were killed and injured in an explosion of mines in Deir Ezzor")
    assert both.fatalities is None and both.mentions_death
    assert (
        casualties("10 casualties and injuries in raids on a village in Idlib").fatalities is None
    )
    assert casualties("3 killed and 5 injured in a blast in Kabul").fatalities == 3


def test_a_day_s_toll_over_a_country_or_a_week_is_no_incident():
    from workers.extract.casualties import casualties

    daily = (
        "33 were killed yesterday including 5 members of the regime forces and militiamen "
        "loyal to them and 27 other people"
    )
    assert casualties(daily).fatalities is None
    assert (
        casualties("About 60 junta troops killed in week of resistance attacks").fatalities is None
    )
    one = "Five people were killed yesterday, including two children, when a bomb exploded"
    assert casualties(one).fatalities == 5


def test_a_raised_toll_is_the_incident_s_latest_figure():
    from workers.extract.casualties import casualties

    raised = casualties("Massacre in Yarmouk camp raises the death toll to 18")
    assert raised.fatalities == 18 and raised.revised
    assert (
        casualties("The death of a woman raises to 11 the number of people killed").fatalities == 11
    )
    # A running total after the incident's own figure stays context.
    assert (
        casualties("Airstrike kills 14 and raises the death toll to 225 in 8 days").fatalities == 14
    )
    strikes = "Airstrikes target the basin and raise their number to more than 200 strikes"
    assert casualties(strikes).fatalities is None


def test_a_raised_toll_replaces_the_first_report_s_figure():
    e = top(
        "17 massacred at a fiesta in Torreon, Coahuila; Death toll in Torreon massacre rises to 18"
    )
    assert e.fatalities == 18


def test_long_subject_before_killed_and_its_and():
    from workers.extract.casualties import casualties

    long = "About 5 members of the regime forces including officers were killed in rocket shelling"
    assert casualties(long).fatalities == 5
    both = "7 members of ISIS cells and their families were killed in Saraqeb"
    assert casualties(both).fatalities == 7
    assert casualties("Police arrested 4 suspects and the gunman was killed").fatalities == 1
    assert casualties("4 arrested and gunman killed in Kano").fatalities == 1
